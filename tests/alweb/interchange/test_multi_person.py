"""Several people per image through COCO import and export: persons, crowd regions, a detector's boxes
and images checked to hold no one all survive export -> import -> export unchanged."""

import copy

import pytest

from tests.alweb.interchange.conftest import coco_json, exported, image_bytes, upload, zip_of
from tests.alweb.interchange.test_import_api import K, post_import

pytestmark = pytest.mark.django_db

SIZES = {"street.jpg": (64, 48), "crowd.png": (40, 30), "detections.png": (32, 32), "empty.png": (20, 20)}


def flat(*xyv) -> list:
    """A flat COCO keypoint list: the given (x, y, v) points, then unlabelled ones up to K."""
    return [c for point in xyv for c in point] + [0, 0, 0] * (K - len(xyv))


def real_tool_file() -> dict:
    """A COCO keypoints file as annotation tools write it: ids of their own, extra keys, outlines."""
    return {
        "info": {"description": "exported by a tool", "year": 2024},
        "licenses": [{"id": 1, "name": "CC-BY"}],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person", "keypoints": [f"k{i}" for i in range(K)]}
        ],
        "images": [
            {"id": 11, "file_name": "street.jpg", "width": 64, "height": 48, "license": 1, "date_captured": ""},
            {"id": 12, "file_name": "crowd.png", "width": 40, "height": 30},
            {"id": 13, "file_name": "detections.png", "width": 32, "height": 32},
            {"id": 14, "file_name": "empty.png", "width": 20, "height": 20},
        ],
        "annotations": [
            {
                "id": 501,
                "image_id": 11,
                "category_id": 1,
                "segmentation": [[2.5, 3, 22.5, 3, 22.5, 33, 2.5, 33]],
                "area": 512.0,
                "iscrowd": 0,
                "bbox": [2.5, 3, 20, 30],
                "num_keypoints": 3,
                "keypoints": flat((10, 5, 2), (12.5, 20, 1), (0, 0, 0), (20, 30, 2)),
            },
            {
                "id": 7,
                "image_id": 11,
                "category_id": 1,
                "segmentation": [[30, 5, 45, 5, 45, 45, 30, 45]],
                "area": 600.0,
                "iscrowd": 0,
                "bbox": [30, 5, 15, 40],
                "num_keypoints": 2,
                "keypoints": flat((35, 6, 2), (40, 44, 2)),
            },
            {  # a person seen but not annotated: no labelled keypoint
                "id": 42,
                "image_id": 11,
                "category_id": 1,
                "segmentation": [[50, 10, 60, 10, 60, 30, 50, 30]],
                "area": 200.0,
                "iscrowd": 0,
                "bbox": [50, 10, 10, 20],
                "num_keypoints": 0,
                "keypoints": [0] * (3 * K),
            },
            {
                "id": 600,
                "image_id": 12,
                "category_id": 1,
                "segmentation": {"counts": [0, 30, 270, 30, 900], "size": [30, 40]},
                "area": 60.0,
                "iscrowd": 1,
                "bbox": [0, 0, 10, 30],
                "num_keypoints": 0,
                "keypoints": [0] * (3 * K),
            },
            {
                "id": 601,
                "image_id": 12,
                "category_id": 1,
                "segmentation": [[20, 2, 38, 2, 38, 28, 20, 28]],
                "area": 468.0,
                "iscrowd": 0,
                "bbox": [20, 2, 18, 26],
                "num_keypoints": 1,
                "keypoints": flat((0, 0, 0), (25, 10, 2)),
            },
            # A detector's boxes: no keypoints at all.
            {"id": 900, "image_id": 13, "category_id": 1, "bbox": [1, 2, 10, 20], "score": 0.93},
            {"id": 901, "image_id": 13, "category_id": 1, "bbox": [15.5, 4, 12, 25], "score": 0.71},
        ],
    }


def real_tool_images() -> dict[str, bytes]:
    return {
        name: image_bytes(width=w, height=h, color=(n * 40, 255 - n * 40, 90))
        for n, (name, (w, h)) in enumerate(SIZES.items())
    }


def points_of(flat_list: list) -> list:
    return [flat_list[i : i + 3] for i in range(0, len(flat_list), 3)]


def expected_labels(coco: dict) -> dict[str, list]:
    """file_name -> the instances a label should hold for the file's annotations with a labelled point or a crowd."""
    names = {image["id"]: image["file_name"] for image in coco["images"]}
    labels: dict[str, list] = {}
    for annotation in coco["annotations"]:
        name = names[annotation["image_id"]]
        if name == "detections.png":
            continue
        instance = {"bbox": annotation["bbox"], "keypoints": points_of(annotation["keypoints"])}
        if annotation["iscrowd"]:
            instance["iscrowd"] = 1
        # Every outline is kept: a crowd region's mask and a person's polygon alike.
        instance["segmentation"] = annotation["segmentation"]
        labels.setdefault(name, []).append(instance)
    return labels


def image_states(client, project_id: int) -> dict[str, dict]:
    """name -> the image as the API shows it (state, boxes)."""
    from alweb.images.models import Image

    images = {}
    for image_id in Image.objects.filter(project_id=project_id).values_list("id", flat=True):
        response = client.get(f"/api/v1/images/{image_id}/")
        assert response.status_code == 200, response.content
        images[response.json()["name"]] = response.json()
    return images


def assert_real_tool_file_stored(client, project):
    images = image_states(client, project.id)
    for name, instances in expected_labels(real_tool_file()).items():
        assert images[name]["state"] == "labelled"
        label = client.get(f"/api/v1/images/{images[name]['id']}/annotation/").json()
        assert label["instances"] == instances
    detections = images["detections.png"]
    assert detections["state"] == "unlabelled"
    assert detections["boxes"] == [[1, 2, 10, 20], [15.5, 4, 12, 25]]
    assert client.get(f"/api/v1/images/{detections['id']}/annotation/").status_code == 404
    assert images["empty.png"]["state"] == "unlabelled" and images["empty.png"]["boxes"] == []
    assert client.get(f"/api/v1/images/{images['empty.png']['id']}/annotation/").status_code == 404


REAL_TOOL_REPORT = {
    "annotations": {"created": 2, "updated": 0, "skipped": 0, "instances": 5},
    "pool_boxes": {"images": 1, "boxes": 2},
    "skipped": [],
}


def test_a_real_tools_file_with_its_images_imports_every_person_crowd_and_box(admin_client, project, media_root):
    response = post_import(admin_client, project, real_tool_file(), zip_of(real_tool_images()))

    assert response.status_code == 201, response.content
    assert response.json() == {"images": {"created": 4, "duplicate": 0}, **REAL_TOOL_REPORT}
    assert_real_tool_file_stored(admin_client, project)


def test_a_real_tools_file_imports_onto_the_projects_images_by_name(admin_client, project, stored_image):
    for name, data in real_tool_images().items():
        stored_image(project=project, name=name, width=SIZES[name][0], height=SIZES[name][1], data=data)

    response = post_import(admin_client, project, real_tool_file())

    assert response.status_code == 201, response.content
    assert response.json() == {"images": {"created": 0, "duplicate": 0}, **REAL_TOOL_REPORT}
    assert_real_tool_file_stored(admin_client, project)


def by_file_name(document: dict) -> dict[str, list[dict]]:
    """file_name -> the image's annotations, in order."""
    names = {image["id"]: image["file_name"] for image in document["images"]}
    annotations: dict[str, list] = {}
    for annotation in document["annotations"]:
        annotations.setdefault(names[annotation["image_id"]], []).append(annotation)
    return annotations


def without_ids(document: dict) -> dict:
    """The document with image ids replaced by file names and the export's date left out."""
    document = copy.deepcopy(document)
    names = {image["id"]: image["file_name"] for image in document["images"]}
    del document["info"]["date_created"]
    for image in document["images"]:
        image["id"] = image["file_name"]
    for annotation in document["annotations"]:
        annotation["image_id"] = names[annotation["image_id"]]
    return document


def import_into_new_project(client, document: dict, files: dict[str, bytes]) -> int:
    category = document["categories"][0]
    response = client.post(
        "/api/v1/projects/",
        {
            "name": document["info"]["description"],
            "keypoints": category["keypoints"],
            "edges": [[i - 1, j - 1] for i, j in category["skeleton"]],
            "flip_pairs": category["flip_pairs"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    target = response.json()["id"]
    # The zip lists the images in the export's order, so that they get ids in that order.
    archive = zip_of({image["file_name"]: files[image["file_name"]] for image in document["images"]})
    response = client.post(
        f"/api/v1/projects/{target}/import/",
        {"annotations": coco_json(document), "images": upload("images.zip", archive)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return target


def test_export_gives_back_every_instance_and_export_import_export_is_identical(admin_client, project, media_root):
    coco, files = real_tool_file(), real_tool_images()
    assert post_import(admin_client, project, coco, zip_of(files)).status_code == 201

    first = exported(admin_client.get(f"/api/v1/projects/{project.id}/export/?format=coco"))

    given, written = by_file_name(coco), by_file_name(first)
    assert sorted(written) == ["crowd.png", "detections.png", "street.jpg"]
    for name, annotations in given.items():
        assert len(written[name]) == len(annotations)
        for source, annotation in zip(annotations, written[name], strict=True):
            assert annotation["bbox"] == source["bbox"]
            assert annotation["keypoints"] == source.get("keypoints", [0] * (3 * K))
            assert annotation["num_keypoints"] == source.get("num_keypoints", 0)
            assert annotation["iscrowd"] == source.get("iscrowd", 0)
            assert annotation["area"] == source["bbox"][2] * source["bbox"][3]
            # Outlines come back as given: a crowd region's mask, a person's polygon; a box has none.
            assert annotation["segmentation"] == source.get("segmentation", [])
    assert [a["id"] for a in first["annotations"]] == list(range(1, 8))
    assert [image["file_name"] for image in first["images"]] == list(SIZES)
    assert not any("no_people" in image for image in first["images"])

    target = import_into_new_project(admin_client, first, files)
    second = exported(admin_client.get(f"/api/v1/projects/{target}/export/?format=coco"))

    assert without_ids(second) == without_ids(first)
    assert [a["id"] for a in second["annotations"]] == [a["id"] for a in first["annotations"]]


def test_an_image_checked_to_hold_no_one_round_trips_as_no_people(admin_client, project, stored_image, media_root):
    empty = stored_image(project=project, name="empty.png", width=20, height=20)
    unseen = stored_image(project=project, name="unseen.png", width=10, height=10)
    response = admin_client.put(f"/api/v1/images/{empty.id}/annotation/", {"instances": []}, format="json")
    assert response.status_code == 201, response.content

    first = exported(admin_client.get(f"/api/v1/projects/{project.id}/export/?format=coco"))
    assert first["images"] == [
        {"id": empty.id, "file_name": "empty.png", "width": 20, "height": 20, "no_people": True},
        {"id": unseen.id, "file_name": "unseen.png", "width": 10, "height": 10},
    ]
    assert first["annotations"] == []

    files = {image.name: image.file.open("rb").read() for image in (empty, unseen)}
    target = import_into_new_project(admin_client, first, files)
    images = image_states(admin_client, target)
    assert images["empty.png"]["state"] == "labelled"
    assert admin_client.get(f"/api/v1/images/{images['empty.png']['id']}/annotation/").json()["instances"] == []
    assert images["unseen.png"]["state"] == "unlabelled"
    second = exported(admin_client.get(f"/api/v1/projects/{target}/export/?format=coco"))
    assert without_ids(second) == without_ids(first)


def test_boxes_for_an_image_that_has_a_label_leave_the_label_and_are_reported(admin_client, project, stored_image):
    image = stored_image(project=project, name="a.png", width=40, height=30)
    label = {"instances": [{"bbox": [1, 1, 20, 20], "keypoints": [[5, 5, 2]] * K}]}
    assert admin_client.put(f"/api/v1/images/{image.id}/annotation/", label, format="json").status_code == 201
    coco = {
        "images": [{"id": 3, "file_name": "a.png", "width": 40, "height": 30}],
        "annotations": [{"id": 8, "image_id": 3, "bbox": [2, 2, 10, 10]}],
    }

    response = post_import(admin_client, project, coco)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pool_boxes"] == {"images": 0, "boxes": 0}
    assert body["annotations"] == {"created": 0, "updated": 0, "skipped": 1, "instances": 0}
    assert body["skipped"][0]["id"] == 8 and body["skipped"][0]["image_id"] == 3
    assert "has a label" in body["skipped"][0]["reason"]
    stored = admin_client.get(f"/api/v1/images/{image.id}/annotation/").json()
    assert stored["version"] == 1 and stored["instances"][0]["bbox"] == [1, 1, 20, 20]
    assert admin_client.get(f"/api/v1/images/{image.id}/").json()["boxes"] == []


def test_boxes_overrunning_the_image_are_clipped(admin_client, project, stored_image):
    image = stored_image(project=project, name="a.png", width=40, height=30)
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "annotations": [
            {"id": 1, "image_id": 1, "bbox": [-5, 20, 15, 20], "keypoints": flat((4, 25, 2))},
            {"id": 2, "image_id": 1, "bbox": [30, -2, 20, 10], "keypoints": flat((35, 3, 1))},
        ],
    }

    assert post_import(admin_client, project, coco).status_code == 201
    instances = admin_client.get(f"/api/v1/images/{image.id}/annotation/").json()["instances"]
    assert [i["bbox"] for i in instances] == [[0, 20, 10, 10], [30, 0, 10, 8]]
