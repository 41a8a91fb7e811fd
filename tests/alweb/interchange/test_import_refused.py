"""Bad COCO imports: each is a 400 saying what is wrong, and nothing is stored (rows or files)."""

import json

import pytest

from tests.alweb.interchange.conftest import coco_json, error_text, image_bytes, stored_files, upload, zip_of
from tests.alweb.interchange.test_import_api import K, document, points, post_import

pytestmark = pytest.mark.django_db

GOOD_ARCHIVE = {"a.png": image_bytes(width=40, height=30), "b.png": image_bytes(width=20, height=20, color=(9, 9, 9))}


def good() -> dict:
    return document([(1, "a.png", 40, 30), (2, "b.png", 20, 20)], [(1, points((39, 29, 2))), (2, points((5, 5, 1)))])


def changed(change):
    coco = good()
    change(coco)
    return coco


def assert_nothing_stored(project, media_root):
    from alweb.annotations.models import Annotation, AnnotationRevision
    from alweb.images.models import Image

    assert not Image.objects.filter(project=project).exists()
    assert not Annotation.objects.exists() and not AnnotationRevision.objects.exists()
    assert stored_files(media_root) == []


CASES = {
    "file_name with ../": (changed(lambda d: d["images"][0].update(file_name="../a.png")), "leaves its folder"),
    "file_name nested ../": (changed(lambda d: d["images"][0].update(file_name="x/../../a.png")), "leaves its folder"),
    "absolute file_name": (changed(lambda d: d["images"][0].update(file_name="/etc/a.png")), "absolute path"),
    "windows file_name": (changed(lambda d: d["images"][0].update(file_name="C:\\a.png")), "absolute path"),
    "too few keypoints": (
        changed(lambda d: d["annotations"][0].update(keypoints=points()[:-3])),
        f"has {3 * K - 3} keypoint values",
    ),
    "too many keypoints": (changed(lambda d: d["annotations"][0]["keypoints"].append(1)), f"needs {3 * K}"),
    "keypoints not a list": (changed(lambda d: d["annotations"][0].update(keypoints="1,2,2")), "keypoint values"),
    "skeleton of another size": (
        changed(lambda d: d["categories"][0].update(keypoints=["x"] * 17)),
        "has 17 keypoints; this project's skeleton has 14",
    ),
    "image_id matching no image": (changed(lambda d: d["annotations"][0].update(image_id=99)), "99 matches no image"),
    "image id given twice": (changed(lambda d: d["images"][1].update(id=1)), "id 1 appears twice"),
    "annotation id given twice": (changed(lambda d: d["annotations"][1].update(id=100)), "id 100 appears twice"),
    "category_id matching no category": (
        changed(lambda d: d["annotations"][0].update(category_id=5)),
        "category_id 5 matches no category",
    ),
    "visibility 3": (
        changed(lambda d: d["annotations"][0].update(keypoints=points((1, 1, 3)))),
        "visibility must be 0, 1 or 2",
    ),
    "point outside the image": (
        changed(lambda d: d["annotations"][0].update(keypoints=points((41, 5, 2)))),
        "outside the 40x30",
    ),
    "negative point": (
        changed(lambda d: d["annotations"][0].update(keypoints=points((-1, 5, 2)))),
        "outside the 40x30",
    ),
    "file name missing": (changed(lambda d: d["images"][0].pop("file_name")), "file_name must be a name"),
    "size missing": (changed(lambda d: d["images"][0].pop("width")), "positive integer width and height"),
    "no images list": (changed(lambda d: d.pop("images")), 'needs an "images" list'),
    "no annotations list": (changed(lambda d: d.update(annotations={})), 'needs an "annotations" list'),
    "not JSON": ("{this is not json", "not valid JSON"),
    "JSON but not an object": ("[1, 2, 3]", "JSON object"),
    "NaN coordinate": (json.dumps(good()).replace('"keypoints": [39', '"keypoints": [NaN', 1), "not finite"),
    "infinite coordinate": (json.dumps(good()).replace('"keypoints": [39', '"keypoints": [Infinity', 1), "not finite"),
    # Inside the image turned a quarter, so only the stored image shows it is outside: refused after the
    # archive's images were checked and stored, which must be undone.
    "point outside the stored image": (
        changed(lambda d: d["annotations"][0].update(keypoints=points((25, 35, 2)))),
        "outside the 40x30",
    ),
    "size differing from the stored image": (
        changed(lambda d: d["images"][0].update(width=41)),
        "the file sizes it 41x30 but the image is 40x30",
    ),
}


@pytest.mark.parametrize("coco, message", CASES.values(), ids=CASES.keys())
def test_bad_coco_with_images_is_refused_and_nothing_is_stored(admin_client, project, media_root, coco, message):
    response = post_import(admin_client, project, coco, zip_of(GOOD_ARCHIVE))
    assert response.status_code == 400, response.content
    assert message in error_text(response)
    assert_nothing_stored(project, media_root)


ARCHIVE_CASES = {
    "image of the file missing from the archive": (
        {"a.png": GOOD_ARCHIVE["a.png"]},
        "lacks 1 image(s) of the file: b.png",
    ),
    "a member the pool refuses": ({**GOOD_ARCHIVE, "notes.txt": b"hello"}, "notes.txt"),
    "a member escaping the archive": ({**GOOD_ARCHIVE, "../evil.png": GOOD_ARCHIVE["a.png"]}, "../evil.png"),
    "a nested archive": ({**GOOD_ARCHIVE, "more.zip": zip_of({"c.png": GOOD_ARCHIVE["a.png"]})}, "more.zip"),
}


@pytest.mark.parametrize("members, message", ARCHIVE_CASES.values(), ids=ARCHIVE_CASES.keys())
def test_bad_archive_is_refused_and_nothing_is_stored(admin_client, project, media_root, members, message):
    response = post_import(admin_client, project, good(), zip_of(members))
    assert response.status_code == 400, response.content
    assert message in error_text(response)
    assert_nothing_stored(project, media_root)


def test_images_that_are_not_a_zip_are_refused(admin_client, project, media_root):
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/import/",
        {"annotations": coco_json(good()), "images": upload("a.png", GOOD_ARCHIVE["a.png"])},
        format="multipart",
    )
    assert response.status_code == 400
    assert "zip archive" in response.json()["images"]
    assert_nothing_stored(project, media_root)


def test_a_failure_while_writing_labels_removes_the_stored_images(admin_client, project, media_root, monkeypatch):
    from alweb.interchange import services

    calls = []

    def fail_on_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    real = services.annotation_save
    monkeypatch.setattr(services, "annotation_save", fail_on_second)
    with pytest.raises(RuntimeError):
        post_import(admin_client, project, good(), zip_of(GOOD_ARCHIVE))
    assert len(calls) == 2
    assert_nothing_stored(project, media_root)


@pytest.mark.parametrize(
    "names, coco, message",
    [
        (["a.png"], good(), "no image named b.png"),
        (["a.png", "b.png", "b.png"], good(), "Several of the project's images are named b.png"),
        (["a.png", "b.png"], changed(lambda d: d["images"][1].update(width=21, height=20)), "sizes it 21x20"),
    ],
    ids=["name not in the project", "name given to two images", "size differing from the stored image"],
)
def test_bad_labels_only_import_is_refused_and_no_label_is_stored(
    admin_client, project, stored_image, names, coco, message
):
    from alweb.annotations.models import Annotation

    sizes = {"a.png": (40, 30), "b.png": (20, 20)}
    for n, name in enumerate(names):
        width, height = sizes[name]
        data = image_bytes(width=width, height=height, color=(n, n, n))
        stored_image(project=project, name=name, width=width, height=height, data=data)
    response = post_import(admin_client, project, coco)
    assert response.status_code == 400, response.content
    assert message in error_text(response)
    assert not Annotation.objects.exists()


def test_an_archive_over_the_file_limit_points_to_the_client(admin_client, project, media_root, settings):
    settings.UPLOAD_MAX_FILES = 1
    response = post_import(admin_client, project, good(), zip_of(GOOD_ARCHIVE))
    assert response.status_code == 400
    assert "python -m alweb.client upload" in error_text(response)
    assert_nothing_stored(project, media_root)
