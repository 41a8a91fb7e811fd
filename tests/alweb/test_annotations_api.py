"""Labels through whole HTTP requests: validation, ETag/If-Match, history."""

import json
import math

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(project):
    from alweb.images.models import Image

    return Image.objects.create(
        project=project,
        name="a.png",
        file="images/a.png",
        sha256="0" * 64,
        content_type="image/png",
        width=200,
        height=100,
    )


def label(x: float = 10.0, v: int = 2) -> list:
    return [[x + i, 20.0, v] for i in range(14)]


def test_first_label_then_edit_with_if_match_keeps_history(annotator_client, admin_client, image):
    url = f"/api/v1/images/{image.id}/annotation/"
    created = annotator_client.put(url, {"keypoints": label()}, format="json")
    assert created.status_code == 201, created.content
    etag = created["ETag"]
    assert annotator_client.get(url)["ETag"] == etag

    edited = admin_client.put(url, {"keypoints": label(x=30)}, format="json", HTTP_IF_MATCH=etag)
    assert edited.status_code == 200
    assert edited.json()["version"] == 2 and edited.json()["keypoints"][0] == [30.0, 20.0, 2]

    history = annotator_client.get(url + "history/").json()["results"]
    assert [(r["version"], r["annotator"], r["keypoints"][0][0]) for r in history] == [
        (2, "ada", 30.0),
        (1, "ann", 10.0),
    ]
    image.refresh_from_db()
    assert image.state == "labelled"


def test_missing_if_match_is_428_and_stale_is_412(annotator_client, image):
    url = f"/api/v1/images/{image.id}/annotation/"
    first = annotator_client.put(url, {"keypoints": label()}, format="json")
    assert annotator_client.put(url, {"keypoints": label(x=50)}, format="json").status_code == 428
    annotator_client.put(url, {"keypoints": label(x=60)}, format="json", HTTP_IF_MATCH=first["ETag"])
    stale = annotator_client.put(url, {"keypoints": label(x=70)}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert stale.status_code == 412
    assert "detail" in stale.json()
    assert annotator_client.get(url).json()["keypoints"][0][0] == 60.0


@pytest.mark.parametrize(
    "keypoints, needle",
    [
        (label()[:13], "Expected 14 keypoints"),
        ([[1, 2]] + label()[1:], "must be [x, y, v]"),
        # The strict JSON parser refuses NaN and inf before validation sees them.
        ([[math.nan, 2, 2]] + label()[1:], "not JSON compliant"),
        ([[math.inf, 2, 2]] + label()[1:], "not JSON compliant"),
        ([[250, 2, 2]] + label()[1:], "outside"),
        ([[-1, 2, 2]] + label()[1:], "outside"),
        ([[1, 2, 3]] + label()[1:], "visibility"),
        ([[1, 2, 1.5]] + label()[1:], "visibility"),
        ([["1", 2, 2]] + label()[1:], "numbers"),
        ("not a list", "Expected 14 keypoints"),
    ],
)
def test_bad_labels_are_rejected_and_nothing_is_stored(annotator_client, image, keypoints, needle):
    from alweb.annotations.models import Annotation

    body = json.dumps({"keypoints": keypoints}, allow_nan=True)
    response = annotator_client.put(f"/api/v1/images/{image.id}/annotation/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert needle in str(response.json())
    assert not Annotation.objects.exists()


def test_non_finite_coordinates_are_rejected_by_the_service(annotator_user, image):
    from alweb.annotations.services import annotation_save
    from alweb.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not finite"):
        annotation_save(image=image, user=annotator_user, keypoints=[[math.nan, 1.0, 2]] + label()[1:], if_match=None)


def test_unlabelled_image_reads_404(annotator_client, image):
    assert annotator_client.get(f"/api/v1/images/{image.id}/annotation/").status_code == 404


def test_an_admin_restores_an_old_version_as_a_new_one(annotator_client, admin_client, image):
    url = f"/api/v1/images/{image.id}/annotation/"
    first = annotator_client.put(url, {"keypoints": label(x=10)}, format="json")
    second = annotator_client.put(url, {"keypoints": label(x=40)}, format="json", HTTP_IF_MATCH=first["ETag"])

    restore = url + "history/1/restore/"
    assert annotator_client.post(restore, HTTP_IF_MATCH=second["ETag"]).status_code == 403
    assert admin_client.post(restore).status_code == 428
    assert admin_client.post(restore, HTTP_IF_MATCH=first["ETag"]).status_code == 412
    assert admin_client.post(url + "history/9/restore/", HTTP_IF_MATCH=second["ETag"]).status_code == 404

    restored = admin_client.post(restore, HTTP_IF_MATCH=second["ETag"])
    assert restored.status_code == 200, restored.content
    assert restored.json()["version"] == 3 and restored["ETag"] != second["ETag"]
    history = admin_client.get(url + "history/").json()["results"]
    assert [(r["version"], r["annotator"], r["keypoints"][0][0]) for r in history] == [
        (3, "ada", 10.0),
        (2, "ann", 40.0),
        (1, "ann", 10.0),
    ]
    assert history[0]["instances"] == history[2]["instances"]


def test_outsiders_cannot_tell_whether_a_label_exists_to_restore(outsider_client, annotator_client, image):
    url = f"/api/v1/images/{image.id}/annotation/"
    first = annotator_client.put(url, {"keypoints": label()}, format="json")
    refused = outsider_client.post(url + "history/1/restore/", HTTP_IF_MATCH=first["ETag"])
    assert refused.status_code == 404
    assert refused.json() == outsider_client.post("/api/v1/images/999999/annotation/history/1/restore/").json()
