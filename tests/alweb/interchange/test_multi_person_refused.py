"""Bad persons, boxes and crowd regions in a COCO import: a 400 naming the annotation and its field,
and nothing stored, whether the images come in a zip or are the project's already."""

import json

import pytest

from tests.alweb.interchange.conftest import error_text, zip_of
from tests.alweb.interchange.test_import_api import K, post_import
from tests.alweb.interchange.test_import_refused import assert_nothing_stored
from tests.alweb.interchange.test_multi_person import SIZES, flat, real_tool_file, real_tool_images

pytestmark = pytest.mark.django_db


def changed(change) -> dict:
    coco = real_tool_file()
    change(coco)
    return coco


def annotation(index: int, **fields):
    return lambda coco: coco["annotations"][index].update(fields)


def raw(old: str, new: str) -> str:
    """The file as text with one piece replaced: for what Python's json would not write (NaN, 1e400)."""
    text = json.dumps(real_tool_file())
    assert old in text
    return text.replace(old, new, 1)


def more_boxes(coco: dict) -> None:
    box = {"image_id": 13, "category_id": 1, "bbox": [1, 1, 5, 5]}
    coco["annotations"] += [{"id": 2000 + n, **box} for n in range(100)]


def huge_polygon(coco: dict) -> None:
    coco["annotations"][3]["segmentation"] = [[12345.5] * 20_000]


# Annotations 0-2 are street.jpg's persons (64x48), 3 the crowd region and 4 the person of
# crowd.png (40x30), 5-6 the detector's boxes of detections.png (32x32).
CASES = {
    "box of negative width": (
        changed(annotation(0, bbox=[2, 3, -4, 30])),
        "annotations[0] (street.jpg): bbox needs a positive",
    ),
    "box of negative height": (
        changed(annotation(1, bbox=[30, 5, 15, -1])),
        "annotations[1] (street.jpg): bbox needs a positive width and height",
    ),
    "detector box of negative size": (
        changed(annotation(6, bbox=[15.5, 4, -1, -1])),
        "annotations[6] (detections.png): bbox needs a positive",
    ),
    "NaN in a box": (
        raw('"bbox": [2.5', '"bbox": [NaN'),
        "annotations[0] (street.jpg): bbox has a value that is not finite",
    ),
    "Infinity in a box": (
        raw('"bbox": [2.5, 3, 20', '"bbox": [2.5, 3, Infinity'),
        "annotations[0] (street.jpg): bbox has a",
    ),
    "-Infinity in a box": (
        raw('"bbox": [30, 5', '"bbox": [-Infinity, 5'),
        "annotations[1] (street.jpg): bbox has a value",
    ),
    "number beyond float range in a box": (
        raw('"bbox": [50, 10, 10', '"bbox": [50, 10, 1e400'),
        "annotations[2] (street.jpg): bbox has",
    ),
    "integer beyond float range in a box": (
        raw('"bbox": [1, 2, 10', '"bbox": [1, 2, 1' + "0" * 400),
        "annotations[5] (detections.png): bbox has a value that is not finite",
    ),
    "box outside the image": (
        changed(annotation(2, bbox=[70, 10, 10, 20])),
        "annotations[2] (street.jpg): bbox [70, 10, 10, 20] does not overlap the 64x48 image",
    ),
    "detector box outside the image": (
        changed(annotation(6, bbox=[40, 40, 5, 5])),
        "annotations[6] (detections.png): bbox [40, 40, 5, 5] does not overlap",
    ),
    # Inside the image turned a quarter, so only the stored image shows it is outside.
    "box outside the stored image": (
        changed(annotation(4, bbox=[25, 31, 4, 4])),
        "annotations[4] (crowd.png): bbox [25, 31, 4, 4] does not overlap the 40x30 image",
    ),
    "box of three numbers": (changed(annotation(0, bbox=[1, 2, 3])), "annotations[0] (street.jpg): bbox must be [x, y"),
    "box of null": (changed(annotation(0, bbox=None)), "annotations[0] (street.jpg): bbox must be [x, y"),
    "box holding text": (
        changed(annotation(5, bbox=["1", 2, 3, 4])),
        "annotations[5] (detections.png): bbox must hold",
    ),
    "too few keypoint values": (
        changed(annotation(1, keypoints=flat()[:-3])),
        f"annotations[1] (street.jpg) has {3 * K - 3} keypoint values",
    ),
    "keypoints of a detector box not a list": (
        changed(annotation(5, keypoints="none")),
        "annotations[5] (detections.png) has no list of keypoint values",
    ),
    "keypoint outside the image": (
        changed(annotation(4, keypoints=flat((41, 5, 2)))),
        "annotations[4] (crowd.png): keypoints[0] (41, 5) lies outside the 40x30 image",
    ),
    "iscrowd 2": (changed(annotation(3, iscrowd=2)), "annotations[3].iscrowd (crowd.png) must be 0 or 1"),
    "crowd segmentation too large": (changed(huge_polygon), "annotations[3] (crowd.png): segmentation is larger than"),
    "crowd segmentation of a bad shape": (
        changed(annotation(3, segmentation={"counts": "abc"})),
        "annotations[3] (crowd.png): segmentation must be COCO polygons or run-length",
    ),
    "crowd segmentation as text": (
        changed(annotation(3, segmentation="polygon")),
        "annotations[3] (crowd.png): segmentation must be COCO polygons",
    ),
    "NaN in a crowd segmentation": (
        raw('"counts": [0', '"counts": [NaN'),
        "annotations[3] (crowd.png): segmentation must be JSON with finite numbers",
    ),
    "over 100 annotations on one image": (
        changed(more_boxes),
        "image 13 (detections.png) has more than 100 annotations",
    ),
    "no_people on an image with annotations": (
        changed(lambda coco: coco["images"][0].update(no_people=True)),
        'image 11 (street.jpg) says "no_people" but has 3 annotation(s)',
    ),
    "no_people not a boolean": (
        changed(lambda coco: coco["images"][3].update(no_people="yes")),
        "images[3].no_people (empty.png) must be true or false",
    ),
}


@pytest.mark.parametrize("coco, message", CASES.values(), ids=CASES.keys())
def test_bad_instances_with_images_are_refused_and_nothing_is_stored(admin_client, project, media_root, coco, message):
    response = post_import(admin_client, project, coco, zip_of(real_tool_images()))
    assert response.status_code == 400, response.content
    assert message in error_text(response)
    assert_nothing_stored(project, media_root)


def stored_rows(project) -> dict:
    from alweb.annotations.models import Annotation, AnnotationRevision

    return {
        "labels": list(Annotation.objects.order_by("id").values_list("image_id", "version", "instances")),
        "revisions": AnnotationRevision.objects.count(),
        "images": list(project.images.order_by("id").values_list("name", "state", "boxes")),
    }


@pytest.mark.parametrize("coco, message", CASES.values(), ids=CASES.keys())
def test_bad_instances_onto_the_projects_images_change_nothing(admin_client, project, stored_image, coco, message):
    images = {}
    for name, data in real_tool_images().items():
        images[name] = stored_image(project=project, name=name, width=SIZES[name][0], height=SIZES[name][1], data=data)
    label = {"instances": [{"bbox": [1, 1, 20, 20], "keypoints": [[5, 5, 2]] * K}]}
    url = f"/api/v1/images/{images['street.jpg'].id}/annotation/"
    assert admin_client.put(url, label, format="json").status_code == 201
    url = f"/api/v1/images/{images['detections.png'].id}/boxes/"
    assert admin_client.put(url, {"boxes": [[0, 0, 8, 8]]}, format="json").status_code == 200
    before = stored_rows(project)

    response = post_import(admin_client, project, coco)

    assert response.status_code == 400, response.content
    assert message in error_text(response)
    assert stored_rows(project) == before
