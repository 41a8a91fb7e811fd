"""A COCO import stays within its limits: the file's size, and how many images and annotations it lists;
the answer says which was exceeded, and the parse stops as soon as a count passes its limit."""

import json

import pytest

from tests.alweb.interchange.test_import_api import document, points, post_import

pytestmark = pytest.mark.django_db


def many(images: int, annotations: int) -> dict:
    return document(
        [(i, f"{i}.png", 40, 30) for i in range(1, images + 1)],
        [(1 + n % images, points()) for n in range(annotations)],
    )


def test_too_many_images_are_refused_naming_the_limit(admin_client, project, settings):
    settings.COCO_IMPORT_MAX_IMAGES = 5
    response = post_import(admin_client, project, many(images=6, annotations=1))
    assert response.status_code == 400
    assert response.json() == {
        "annotations": "The file lists more than 5 images, the import's limit; split it into several imports."
    }


def test_too_many_annotations_are_refused_naming_the_limit(admin_client, project, settings):
    settings.COCO_IMPORT_MAX_ANNOTATIONS = 3
    response = post_import(admin_client, project, many(images=2, annotations=4))
    assert response.status_code == 400
    assert "more than 3 annotations" in response.json()["annotations"]


def test_the_parse_stops_at_the_first_object_over_a_limit(settings, monkeypatch):
    from alweb.errors import InvalidInput
    from alweb.interchange import coco_format

    settings.COCO_IMPORT_MAX_IMAGES = 10
    seen = []
    original = json.loads

    def counting_loads(raw, *, object_hook):
        return original(raw, object_hook=lambda item: seen.append(item) or object_hook(item))

    monkeypatch.setattr(coco_format.json, "loads", counting_loads)
    raw = json.dumps(many(images=1000, annotations=1)).encode()
    with pytest.raises(InvalidInput, match="more than 10 images"):
        coco_format.coco_parse(raw=raw, num_keypoints=14)
    assert len(seen) == 11


def test_a_file_over_the_size_limit_is_refused(admin_client, project, settings):
    settings.COCO_IMPORT_MAX_BYTES = 1000
    response = post_import(admin_client, project, many(images=20, annotations=0))
    assert response.status_code == 400
    assert "larger than the limit of 1,000 bytes" in json.dumps(response.json())
