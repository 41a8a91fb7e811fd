"""The data browser's pages as the server renders them: who may open them, the grid a query asks for, the image page's config."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def images(project, admin_user):
    """Three images; the first labelled by the admin; the third named with markup."""
    from alweb.annotations.services import annotation_save
    from alweb.images.models import Image

    made = [
        Image.objects.create(
            project=project,
            name=name,
            file=f"images/{i}.png",
            sha256=f"{i:064x}",
            content_type="image/png",
            width=200,
            height=100,
        )
        for i, name in enumerate(["a.png", "b.png", "<script>alert(1)</script>.png"])
    ]
    annotation_save(image=made[0], user=admin_user, keypoints=[[10.0 + i, 20.0, 2] for i in range(14)], if_match=None)
    return made


def config_of(page: str) -> dict:
    match = re.search(r'<script id="review-config" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_the_grid_shows_the_view_its_query_asks_for(client, project, annotator_user, images):
    client.force_login(annotator_user)
    page = client.get(f"/projects/{project.id}/images/").content.decode()
    assert page.count('class="thumb card"') == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.png" in page and "<script>alert" not in page
    assert 'aria-current="page">Images' in page
    # Every member may export, so the grid offers the download an annotator cannot reach from the dashboard.
    assert f'href="/api/v1/projects/{project.id}/export/?format=coco" download>Download COCO export' in page

    labelled = client.get(f"/projects/{project.id}/images/", {"state": "labelled"}).content.decode()
    assert labelled.count('class="thumb card"') == 1 and 'alt="a.png"' in labelled
    # Each image opens in the same view, so that the image page steps through it.
    assert f'href="/projects/{project.id}/images/{images[0].id}/?state=labelled"' in labelled


def test_a_bad_query_is_a_400_page_that_says_why(client, project, annotator_user, images):
    client.force_login(annotator_user)
    response = client.get(f"/projects/{project.id}/images/", {"sort": "nonsense"})
    assert response.status_code == 400
    assert "sort:" in response.content.decode()


def test_the_image_page_hands_the_editor_its_label_refusal_and_neighbours(
    client, project, annotator_user, admin_user, images
):
    client.force_login(annotator_user)
    response = client.get(f"/projects/{project.id}/images/{images[0].id}/", {"sort": "-uploaded"})
    assert response.status_code == 200
    config = config_of(response.content.decode())
    assert config["label"]["version"] == 1 and config["etag"] == f'"{images[0].id}-1"'
    assert config["image"]["rank"] is None and config["prediction"] is None
    # The admin's pool label: an annotator may look, and is told at once that a save would be refused.
    assert "admins" in config["refusal"] and not config["is_admin"]
    assert config["previous_url"] == f"/projects/{project.id}/images/{images[1].id}/?sort=-uploaded"
    assert config["next_url"] is None

    client.force_login(admin_user)
    config = config_of(client.get(f"/projects/{project.id}/images/{images[1].id}/").content.decode())
    assert config["refusal"] is None and config["is_admin"] and config["label"] is None


def test_non_members_get_404_on_both_pages(client, project, outsider_user, images):
    client.force_login(outsider_user)
    assert client.get(f"/projects/{project.id}/images/").status_code == 404
    assert client.get(f"/projects/{project.id}/images/{images[0].id}/").status_code == 404
