"""The data browser's listing: filters, sorts, cursor pages both ways, and refusals of bad queries."""

import pytest

from tests.alweb.queue.selections import selection

pytestmark = pytest.mark.django_db


@pytest.fixture
def browse_url(project):
    return f"/api/v1/projects/{project.id}/images/browse/"


@pytest.fixture
def pool(project, admin_user, annotator_user):
    """Six images: 0 labelled by ann, 1 by ada, 2-4 queued (2, ranked first, skipped by ann), 5 unlabelled; 0-4 scored."""
    from alweb.annotations.services import annotation_save
    from alweb.cycles.models import Cycle, ModelVersion, Score
    from alweb.images.models import Image
    from alweb.queue.services import lease_next, lease_release, queue_fill

    images = [
        Image.objects.create(
            project=project,
            name=f"{i}.png",
            file=f"images/{i}.png",
            sha256=f"{i:064x}",
            content_type="image/png",
            width=200,
            height=100,
        )
        for i in range(6)
    ]
    cycle = Cycle.objects.create(
        project=project, index=1, state="ready", strategy="ll_plus_plus", budget=3, epochs=1, model_name="hg-tiny"
    )
    version = ModelVersion.objects.create(project=project, cycle=cycle, model_name="hg-tiny")
    losses = [0.5, 0.1, 0.9, 0.7, 0.3]
    Score.objects.bulk_create(
        Score(model_version=version, image=image, predicted_loss=loss, keypoints=[], confidence=[])
        for image, loss in zip(images, losses)
    )
    queue_fill(cycle=cycle, entries=selection(images[2:5], losses[2:5]))
    lease_release(lease_id=lease_next(project=project, user=annotator_user).lease_id, user=annotator_user)
    points = [[10.0 + i, 20.0, 2] for i in range(14)]
    annotation_save(image=images[0], user=annotator_user, keypoints=points, if_match=None)
    annotation_save(image=images[1], user=admin_user, keypoints=points, if_match=None)
    return images


def names(client, url, query=""):
    response = client.get(url + query)
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_rows_carry_state_label_score_rank_and_thumbnail(annotator_client, browse_url, pool):
    rows = {row["name"]: row for row in annotator_client.get(browse_url).json()["results"]}
    assert [rows[f"{i}.png"]["state"] for i in range(6)] == [
        "labelled",
        "labelled",
        "skipped",
        "queued",
        "queued",
        "unlabelled",
    ]
    assert (rows["0.png"]["labelled_by"], rows["1.png"]["labelled_by"], rows["2.png"]["labelled_by"]) == (
        "ann",
        "ada",
        None,
    )
    assert rows["0.png"]["labelled_at"] and rows["5.png"]["labelled_at"] is None
    assert [rows[f"{i}.png"]["rank"] for i in range(6)] == [None, None, 1, 2, 3, None]
    assert rows["2.png"]["predicted_loss"] == 0.9 and rows["5.png"]["predicted_loss"] is None
    assert rows["4.png"]["thumbnail_url"] == f"/api/v1/images/{pool[4].id}/thumbnail"


FILTERED_AND_SORTED = [
    ("?state=labelled", ["0.png", "1.png"]),
    ("?state=queued", ["3.png", "4.png"]),
    ("?state=skipped", ["2.png"]),
    ("?state=unlabelled", ["5.png"]),
    ("?state=labelled&annotator=ann", ["0.png"]),
    ("?annotator=nobody", []),
    ("?split=train", []),
    ("?sort=-uploaded", ["5.png", "4.png", "3.png", "2.png", "1.png", "0.png"]),
    ("?sort=-predicted_loss", ["2.png", "3.png", "0.png", "4.png", "1.png"]),
    ("?sort=rank", ["2.png", "3.png", "4.png"]),
    ("?sort=-rank&state=queued", ["4.png", "3.png"]),
    ("?sort=labelled_at", ["0.png", "1.png"]),
]


def test_filters_and_sorts(annotator_client, browse_url, pool):
    for query, expected in FILTERED_AND_SORTED:
        assert names(annotator_client, browse_url, query) == expected, query


@pytest.mark.parametrize("sort", ["uploaded", "-predicted_loss", "labelled_at"])
def test_cursor_pages_forward_and_back_cover_the_listing_once(annotator_client, browse_url, pool, sort):
    whole = names(annotator_client, browse_url, f"?sort={sort}")
    pages, page = [], annotator_client.get(browse_url, {"sort": sort, "page_size": 1}).json()
    assert page["previous"] is None
    while True:
        pages.append([row["name"] for row in page["results"]])
        if not page["next"]:
            break
        page = annotator_client.get(browse_url, {"sort": sort, "page_size": 1, "cursor": page["next"]}).json()
    assert [name for page_names in pages for name in page_names] == whole
    back = annotator_client.get(browse_url, {"sort": sort, "page_size": 1, "cursor": page["previous"]}).json()
    assert [row["name"] for row in back["results"]] == pages[-2]


BAD_QUERIES = [
    ("?state=done", "state"),
    ("?sort=name", "sort"),
    ("?split=", "split"),
    ("?page_size=0", "page_size"),
    ("?page_size=lots", "page_size"),
    ("?cursor=not-a-cursor", "cursor"),
    ("?cursor=eyJzIjoidXBsb2FkZWQiLCJwIjpbIngiXSwiYiI6ZmFsc2V9", "cursor"),
    ("?sort=rank&cursor=eyJzIjoidXBsb2FkZWQiLCJwIjpbMV0sImIiOmZhbHNlfQ", "cursor"),
]


def test_bad_queries_are_a_clear_400(annotator_client, browse_url):
    for query, field in BAD_QUERIES:
        response = annotator_client.get(browse_url + query)
        assert response.status_code == 400, query
        assert field in response.json(), query


def test_outsiders_get_404(outsider_client, browse_url):
    assert outsider_client.get(browse_url).status_code == 404
