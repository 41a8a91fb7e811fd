"""Listing, counting, reading, moving and downloading images; who may do what."""

import io

import pytest

from tests.alweb.images.conftest import image_bytes, jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_rows(project):
    """Create image rows directly (no files): `states` and `splits` given per row."""
    from alweb.images.models import Image

    def make(states, splits=None):
        splits = splits or ["pool"] * len(states)
        rows = [
            Image(
                project=project,
                name=f"{i}.jpg",
                file=f"images/x/{i}.jpg",
                sha256=f"{i:064x}",
                content_type="image/jpeg",
                width=64,
                height=48,
                state=state,
                split=split,
            )
            for i, (state, split) in enumerate(zip(states, splits))
        ]
        return Image.objects.bulk_create(rows)

    return make


@pytest.fixture
def uploaded(post_files):
    """One stored JPEG; returns its result."""
    return post_files(("runner.jpg", jpeg())).json()["results"][0]


def test_listing_filters_by_state_and_split(annotator_client, images_url, make_rows):
    make_rows(["unlabelled", "labelled", "unlabelled", "queued"], ["pool", "train", "val", "pool"])
    names = lambda query: [i["name"] for i in annotator_client.get(images_url + query).json()["results"]]  # noqa: E731
    assert names("") == ["0.jpg", "1.jpg", "2.jpg", "3.jpg"]
    assert names("?state=unlabelled") == ["0.jpg", "2.jpg"]
    assert names("?split=pool") == ["0.jpg", "3.jpg"]
    assert names("?state=unlabelled&split=pool") == ["0.jpg"]


@pytest.mark.parametrize("query", ["?state=done", "?split=holdout"])
def test_listing_rejects_unknown_filter_values(admin_client, images_url, query):
    response = admin_client.get(images_url + query)
    assert response.status_code == 400
    assert set(response.json()) & {"state", "split"}


def test_listing_pages_with_a_cursor(admin_client, images_url, make_rows):
    make_rows(["unlabelled"] * 5)
    seen, url = [], images_url + "?page_size=2"
    while url:
        body = admin_client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [i["name"] for i in body["results"]]
        url = body["next"]
    assert seen == [f"{i}.jpg" for i in range(5)]
    first = admin_client.get(images_url).json()
    assert first["next"] is None and len(first["results"]) == 5
    assert set(first["results"][0]) == {"id", "name", "width", "height", "sha256", "split", "state", "project", "boxes"}


def test_counts_by_state_and_split(annotator_client, project, make_rows):
    make_rows(["unlabelled", "labelled", "labelled", "queued"], ["pool", "train", "val", "pool"])
    body = annotator_client.get(f"/api/v1/projects/{project.id}/images/counts/").json()
    assert body == {
        "total": 4,
        "by_state": {"unlabelled": 1, "queued": 1, "labelled": 2},
        "by_split": {"pool": 2, "train": 1, "val": 1},
    }


def test_detail_and_split_change(admin_client, annotator_client, uploaded, project):
    url = f"/api/v1/images/{uploaded['id']}/"
    body = annotator_client.get(url).json()
    assert body["name"] == "runner.jpg" and (body["width"], body["height"]) == (48, 32)
    assert body["split"] == "pool" and body["state"] == "unlabelled" and body["project"] == project.id
    assert annotator_client.patch(url, {"split": "train"}, format="json").status_code == 403
    assert admin_client.patch(url, {"split": "moon"}, format="json").status_code == 400
    response = admin_client.patch(url, {"split": "val"}, format="json")
    assert response.status_code == 200 and response.json()["split"] == "val"
    assert annotator_client.get(url).json()["split"] == "val"


def test_file_is_served_with_its_recorded_type_and_safe_headers(annotator_client, uploaded):
    from alweb.images.models import Image

    image = Image.objects.get(pk=uploaded["id"])
    # The browser's Accept header for <img> must not stand in the way.
    response = annotator_client.get(f"/api/v1/images/{image.id}/file", HTTP_ACCEPT="image/avif,image/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="{image.sha256}.jpg"'
    assert response["ETag"] == f'"{image.sha256}"'
    assert "private" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == jpeg()
    again = annotator_client.get(f"/api/v1/images/{image.id}/file", HTTP_IF_NONE_MATCH=f'"{image.sha256}"')
    assert again.status_code == 304 and again["ETag"] == f'"{image.sha256}"'


def test_file_type_comes_from_the_database_not_the_name(admin_client, post_files):
    result = post_files(("actually-a-png.jpg", image_bytes("PNG"))).json()["results"][0]
    response = admin_client.get(f"/api/v1/images/{result['id']}/file")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].endswith('.png"')
    response.close()


def test_missing_stored_file_is_a_404(admin_client, uploaded):
    from django.core.files.storage import default_storage

    from alweb.images.models import Image

    default_storage.delete(Image.objects.get(pk=uploaded["id"]).file.name)
    response = admin_client.get(f"/api/v1/images/{uploaded['id']}/file")
    assert response.status_code == 404 and "missing" in response.json()["detail"]


def endpoints(project_id, image_id):
    return [
        ("get", f"/api/v1/projects/{project_id}/images/"),
        ("post", f"/api/v1/projects/{project_id}/images/"),
        ("get", f"/api/v1/projects/{project_id}/images/counts/"),
        ("get", f"/api/v1/images/{image_id}/"),
        ("patch", f"/api/v1/images/{image_id}/"),
        ("get", f"/api/v1/images/{image_id}/file"),
    ]


def call(client, method, url):
    if method == "post":
        return client.post(url, {"files": [io.BytesIO(jpeg(seed=5))]}, format="multipart")
    if method == "patch":
        return client.patch(url, {"split": "train"}, format="json")
    return client.get(url)


def test_anonymous_gets_401_everywhere(anonymous_client, project, uploaded):
    for method, url in endpoints(project.id, uploaded["id"]):
        response = call(anonymous_client, method, url)
        assert response.status_code == 401, (method, url)
        assert "detail" in response.json()


def test_outsider_gets_404_everywhere(outsider_client, project, uploaded, media):
    from alweb.images.models import Image

    for method, url in endpoints(project.id, uploaded["id"]):
        response = call(outsider_client, method, url)
        assert response.status_code == 404, (method, url)
        assert "detail" in response.json()
    assert Image.objects.count() == 1


def test_annotator_reads_but_may_not_upload_or_move(annotator_client, project, uploaded):
    from alweb.images.models import Image

    expected = {"get": 200, "post": 403, "patch": 403}
    for method, url in endpoints(project.id, uploaded["id"]):
        response = call(annotator_client, method, url)
        assert response.status_code == expected[method], (method, url)
    assert Image.objects.count() == 1


def test_admin_may_do_everything(admin_client, project, uploaded):
    expected = {"get": 200, "post": 201, "patch": 200}
    for method, url in endpoints(project.id, uploaded["id"]):
        assert call(admin_client, method, url).status_code == expected[method], (method, url)


def test_schema_documents_the_multipart_upload(anonymous_client):
    schema = anonymous_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    upload = schema["paths"]["/api/v1/projects/{project_id}/images/"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    files = schema["components"]["schemas"][form["$ref"].rsplit("/", 1)[-1]]["properties"]["files"]
    assert files["type"] == "array" and files["items"]["format"] == "binary"
    assert {"201", "400"} <= set(upload["responses"])
    assert "image/jpeg" in schema["paths"]["/api/v1/images/{image_id}/file"]["get"]["responses"]["200"]["content"]
