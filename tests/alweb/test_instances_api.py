"""Several people per image through whole HTTP requests: labels as instances, pool boxes, bad input."""

import json

import pytest

pytestmark = pytest.mark.django_db

WIDTH, HEIGHT = 200, 100


@pytest.fixture
def image(project):
    from alweb.images.models import Image

    return Image.objects.create(
        project=project,
        name="a.png",
        file="images/a.png",
        sha256="0" * 64,
        content_type="image/png",
        width=WIDTH,
        height=HEIGHT,
    )


def person(x: float, *, v: int = 2) -> dict:
    """A person of 14 points in a box starting at x."""
    return {"bbox": [x, 10.0, 40.0, 80.0], "keypoints": [[x + 2 * i, 20.0 + i, v] for i in range(14)]}


def put(client, image, body, **headers):
    return client.put(
        f"/api/v1/images/{image.id}/annotation/",
        json.dumps(body, allow_nan=True),
        content_type="application/json",
        **headers,
    )


def test_a_label_with_three_people_round_trips_and_keeps_history(annotator_client, image):
    people = [person(5), person(60), person(120, v=1)]
    created = put(annotator_client, image, {"instances": people})
    assert created.status_code == 201, created.content
    body = annotator_client.get(f"/api/v1/images/{image.id}/annotation/").json()
    assert body["instances"] == [{"bbox": p["bbox"], "keypoints": p["keypoints"]} for p in people]
    assert body["keypoints"] is None  # the older one-skeleton view has no single answer

    edited = put(annotator_client, image, {"instances": people[:1]}, HTTP_IF_MATCH=created["ETag"])
    assert edited.status_code == 200
    assert edited.json()["keypoints"] == people[0]["keypoints"]
    history = annotator_client.get(f"/api/v1/images/{image.id}/annotation/history/").json()["results"]
    assert [len(revision["instances"]) for revision in history] == [1, 3]


def test_no_people_is_an_empty_label(annotator_client, image):
    response = put(annotator_client, image, {"instances": []})
    assert response.status_code == 201, response.content
    assert response.json()["instances"] == [] and response.json()["keypoints"] is None
    image.refresh_from_db()
    assert image.state == "labelled"


def test_the_older_body_is_one_instance_covering_the_image(annotator_client, image):
    points = person(5)["keypoints"]
    response = put(annotator_client, image, {"keypoints": points})
    assert response.status_code == 201
    assert response.json()["instances"] == [{"bbox": [0.0, 0.0, WIDTH, HEIGHT], "keypoints": points}]


def test_a_box_overrunning_the_border_is_clipped(annotator_client, image):
    overrun = dict(person(5), bbox=[-10.0, 50.0, 300.0, 100.0])
    response = put(annotator_client, image, {"instances": [overrun]})
    assert response.status_code == 201, response.content
    assert response.json()["instances"][0]["bbox"] == [0.0, 50.0, WIDTH, 50.0]


def test_a_crowd_region_is_kept_with_its_mask(annotator_client, image):
    crowd = {"bbox": [10, 10, 50, 50], "iscrowd": 1, "segmentation": {"counts": [0, 5, 10], "size": [HEIGHT, WIDTH]}}
    response = put(annotator_client, image, {"instances": [person(5), crowd]})
    assert response.status_code == 201, response.content
    stored = response.json()["instances"][1]
    assert stored["iscrowd"] == 1 and stored["segmentation"] == crowd["segmentation"]
    assert stored["keypoints"] == [[0.0, 0.0, 0]] * 14


@pytest.mark.parametrize(
    "instances, needle",
    [
        ([person(5), dict(person(5), bbox=[0, 0, 0, 10])], "instances[1].bbox needs a positive width"),
        ([dict(person(5), bbox=[0, 0, -5, 10])], "instances[0].bbox needs a positive width"),
        ([dict(person(5), bbox=[1e308, 0, 1e308, 10])], "instances[0].bbox has a value that is not finite"),
        ([dict(person(5), bbox=[0, 0, 10**400, 10])], "instances[0].bbox has a value that is not finite"),
        ([dict(person(5), bbox=[500, 0, 10, 10])], "instances[0].bbox [500, 0, 10, 10] does not overlap"),
        ([dict(person(5), bbox=[0, 0, 10])], "instances[0].bbox must be [x, y, width, height]"),
        ([dict(person(5), bbox=[0, "0", 10, 10])], "instances[0].bbox must hold numbers"),
        ([{"keypoints": person(5)["keypoints"]}], "instances[0].bbox is required"),
        ([person(5), dict(person(5), keypoints=person(5)["keypoints"][:13])], "instances[1].keypoints: Expected 14"),
        ([dict(person(5), keypoints=[[250, 2, 2]] * 14)], "instances[0].keypoints[0] (250, 2) lies outside"),
        ([dict(person(5), extra=1)], "instances[0] has unknown fields: extra"),
        ([dict(person(5), iscrowd=2)], "instances[0].iscrowd must be 0 or 1"),
        ([dict(person(5), segmentation=[["a"]])], "instances[0].segmentation must be COCO polygons"),
        ([dict(person(5), segmentation=[[1.0] * 20000])], "instances[0].segmentation is larger than"),
        ([person(5)] * 101, "At most 100 instances"),
        ("people", "Expected a list of instances"),
        ([3], "instances[0] must be an object"),
    ],
)
def test_bad_instances_are_refused_naming_instance_and_field(annotator_client, image, instances, needle):
    from alweb.annotations.models import Annotation

    response = put(annotator_client, image, {"instances": instances})
    assert response.status_code == 400, response.content
    assert needle in json.dumps(response.json()), response.json()
    assert not Annotation.objects.filter(image=image).exists()


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"instances": [person(5)], "keypoints": person(5)["keypoints"]}, "not both"),
        ({}, "not both"),
        ({"instances": None}, "may not be null"),
        ({"instances": [dict(person(5), bbox=[float("nan"), 0, 10, 10])]}, "not JSON compliant"),
    ],
)
def test_a_body_that_is_not_one_label_is_refused(annotator_client, image, body, needle):
    response = put(annotator_client, image, body)
    assert response.status_code == 400
    assert needle in json.dumps(response.json())


def test_an_admin_sets_pool_boxes_clipped_and_an_annotator_may_not(admin_client, annotator_client, image):
    url = f"/api/v1/images/{image.id}/boxes/"
    boxes = [[10, 10, 30, 60], [150, 40, 100, 100]]
    assert annotator_client.put(url, {"boxes": boxes}, format="json").status_code == 403
    response = admin_client.put(url, {"boxes": boxes}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["boxes"] == [[10.0, 10.0, 30.0, 60.0], [150.0, 40.0, 50.0, 60.0]]
    assert admin_client.get(f"/api/v1/images/{image.id}/").json()["boxes"] == response.json()["boxes"]
    assert admin_client.put(url, {"boxes": []}, format="json").json()["boxes"] == []


@pytest.mark.parametrize(
    "boxes, needle",
    [
        ([[10, 10, 30, 60], [0, 0, 0, 5]], "boxes[1] needs a positive width"),
        ([[300, 0, 10, 10]], "boxes[0] [300, 0, 10, 10] does not overlap"),
        ([[0, 0, 10, 10]] * 101, "At most 100 boxes"),
        ({"x": 1}, "Expected a list"),
    ],
)
def test_bad_boxes_are_refused_and_nothing_changes(admin_client, image, boxes, needle):
    image.boxes = [[1.0, 1.0, 5.0, 5.0]]
    image.save(update_fields=["boxes"])
    response = admin_client.put(f"/api/v1/images/{image.id}/boxes/", {"boxes": boxes}, format="json")
    assert response.status_code == 400
    assert needle in json.dumps(response.json())
    image.refresh_from_db()
    assert image.boxes == [[1.0, 1.0, 5.0, 5.0]]


def test_predicting_a_drawn_box_without_a_model_is_a_conflict(annotator_client, image):
    response = annotator_client.post(f"/api/v1/images/{image.id}/predict/", {"bbox": [0, 0, 50, 50]}, format="json")
    assert response.status_code == 409
    assert "no trained model" in response.json()["detail"]
    bad = annotator_client.post(f"/api/v1/images/{image.id}/predict/", {"bbox": [0, 0, -1, 5]}, format="json")
    assert bad.status_code == 400


def test_the_skeleton_template_follows_the_labels_relative_to_their_boxes(annotator_client, image, project):
    from alweb.annotations.template import skeleton_template

    grid = skeleton_template(project=project)
    assert len(grid) == 14 and all(0 <= u <= 1 and 0 <= v <= 1 for u, v in grid)
    put(annotator_client, image, {"instances": [person(5), person(60)]})
    template = skeleton_template(project=project)
    # Point i lies at (2i + 0, 10 + i) inside a 40x80 box in both people.
    assert template[3] == pytest.approx([6 / 40, 13 / 80], abs=1e-4)
