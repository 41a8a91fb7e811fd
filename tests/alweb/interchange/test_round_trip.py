"""Export a labelled project, import it into a new one with its images, and export again: nothing is lost."""

import pytest

from tests.alweb.interchange.conftest import coco_json, exported, image_bytes, upload, zip_of

pytestmark = pytest.mark.django_db

SKELETON = {
    "keypoints": ["head", "l-hand", "r-hand", "l-foot", "r-foot"],
    "edges": [[0, 1], [0, 2], [0, 3], [0, 4]],
    "flip_pairs": [[1, 2], [3, 4]],
}


def create_project(client, name: str, skeleton: dict) -> int:
    response = client.post("/api/v1/projects/", {"name": name, **skeleton}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def upload_images(client, project_id: int, files: dict[str, bytes]) -> dict[str, dict]:
    parts = [upload(name, data) for name, data in files.items()]
    response = client.post(f"/api/v1/projects/{project_id}/images/", {"files": parts}, format="multipart")
    assert response.status_code == 201, response.content
    return {result["name"]: result for result in response.json()["results"]}


def by_name(document: dict) -> dict[str, tuple]:
    """file_name -> (width, height, keypoints or None), ignoring ids."""
    keypoints = {a["image_id"]: a["keypoints"] for a in document["annotations"]}
    return {i["file_name"]: (i["width"], i["height"], keypoints.get(i["id"])) for i in document["images"]}


def test_export_import_export_keeps_images_skeleton_and_keypoints(admin_client):
    source = create_project(admin_client, "Source", SKELETON)
    results = upload_images(
        admin_client,
        source,
        {
            "wide.png": image_bytes(width=48, height=24),
            "tall.webp": image_bytes(width=16, height=40, fmt="WEBP", color=(10, 200, 10)),
            # Stored 30x12 sideways; EXIF orientation 6 turns it upright to 12x30.
            "phone.jpg": image_bytes(width=30, height=12, orientation=6, color=(10, 10, 200)),
            "unlabelled.png": image_bytes(width=8, height=8, color=(1, 2, 3)),
        },
    )
    assert all(r["status"] == "created" for r in results.values()), results
    labels = {
        "wide.png": [[1, 2, 2], [47.5, 23, 1], [10, 10, 2], [0, 0, 0], [24, 12, 2]],
        "tall.webp": [[15, 39, 2], [0, 0, 0], [1, 1, 1], [8, 20, 2], [16, 40, 2]],
        "phone.jpg": [[11, 29, 2], [6, 3, 2], [0, 0, 0], [12, 30, 1], [3.25, 4.75, 2]],
    }
    for name, keypoints in labels.items():
        url = f"/api/v1/images/{results[name]['id']}/annotation/"
        assert admin_client.put(url, {"keypoints": keypoints}, format="json").status_code == 201

    first = exported(admin_client.get(f"/api/v1/projects/{source}/export/?format=coco"))
    assert by_name(first)["phone.jpg"][:2] == (12, 30)

    category = first["categories"][0]
    target = create_project(
        admin_client,
        "Target",
        {
            "keypoints": category["keypoints"],
            "edges": [[i - 1, j - 1] for i, j in category["skeleton"]],
            "flip_pairs": category["flip_pairs"],
        },
    )
    files = {}
    for image in first["images"]:
        response = admin_client.get(f"/api/v1/images/{image['id']}/file")
        files[image["file_name"]] = b"".join(response.streaming_content)
    response = admin_client.post(
        f"/api/v1/projects/{target}/import/",
        {"annotations": coco_json(first), "images": upload("images.zip", zip_of(files))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "images": {"created": 4, "duplicate": 0},
        "annotations": {"created": 3, "updated": 0, "skipped": 0, "instances": 3},
        "pool_boxes": {"images": 0, "boxes": 0},
        "skipped": [],
    }

    second = exported(admin_client.get(f"/api/v1/projects/{target}/export/?format=coco"))
    assert by_name(second) == by_name(first)
    assert second["categories"][0] == category
    assert admin_client.get(f"/api/v1/projects/{target}/").json()["flip_pairs"] == SKELETON["flip_pairs"]
