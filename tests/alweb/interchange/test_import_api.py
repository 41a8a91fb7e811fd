"""Importing COCO keypoints through whole HTTP requests: labels only, with images, and what is refused."""

import pytest

from tests.alweb.interchange.conftest import coco_json, image_bytes, upload, zip_of

pytestmark = pytest.mark.django_db

K = 14  # the lsp14 project of tests/conftest.py


def points(*xyv) -> list:
    """A flat COCO keypoint list: the given (x, y, v) points, then unlabelled ones up to K."""
    flat = [c for point in xyv for c in point]
    return flat + [0, 0, 0] * (K - len(xyv))


def document(images, annotations) -> dict:
    return {
        "images": [{"id": i, "file_name": name, "width": w, "height": h} for i, name, w, h in images],
        "annotations": [
            {"id": 100 + n, "image_id": image_id, "category_id": 1, "keypoints": flat}
            for n, (image_id, flat) in enumerate(annotations)
        ],
        "categories": [{"id": 1, "name": "person", "keypoints": [f"k{i}" for i in range(K)], "skeleton": []}],
    }


def post_import(client, project, coco, archive: bytes | None = None):
    data = {"annotations": coco_json(coco)}
    if archive is not None:
        data["images"] = upload("images.zip", archive)
    return client.post(f"/api/v1/projects/{project.id}/import/", data, format="multipart")


def test_labels_only_import_matches_names_and_replaces_labels_keeping_history(admin_client, project, stored_image):
    a = stored_image(project=project, name="a.png", width=40, height=30)
    b = stored_image(project=project, name="b.png", width=20, height=20)
    first = admin_client.put(f"/api/v1/images/{a.id}/annotation/", {"keypoints": [[1, 1, 2]] * K}, format="json")
    assert first.status_code == 201

    coco = document([(1, "a.png", 40, 30), (2, "b.png", 20, 20)], [(1, points((39, 29, 2))), (2, points((5, 5, 1)))])
    response = post_import(admin_client, project, coco)

    assert response.status_code == 201, response.content
    assert response.json()["images"] == {"created": 0, "duplicate": 0}
    assert response.json()["annotations"] == {"created": 1, "updated": 1, "skipped": 0, "instances": 2}
    assert response.json()["pool_boxes"] == {"images": 0, "boxes": 0}
    label = admin_client.get(f"/api/v1/images/{a.id}/annotation/").json()
    assert label["version"] == 2 and label["keypoints"][0] == [39, 29, 2]
    history = admin_client.get(f"/api/v1/images/{a.id}/annotation/history/").json()["results"]
    assert [r["version"] for r in history] == [2, 1]
    assert admin_client.get(f"/api/v1/images/{b.id}/").json()["state"] == "labelled"


def test_several_people_on_one_image_are_all_kept_in_file_order(admin_client, project, stored_image):
    image = stored_image(project=project, name="crowd.png", width=50, height=50)
    coco = document(
        [(7, "crowd.png", 50, 50)], [(7, points((1, 1, 2))), (7, points((2, 2, 2))), (7, points((3, 3, 2)))]
    )

    response = post_import(admin_client, project, coco)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["annotations"] == {"created": 1, "updated": 0, "skipped": 0, "instances": 3}
    assert body["skipped"] == []
    # Without a bbox, a person's box is the whole image, as the older one-skeleton exports meant.
    assert [i["bbox"] for i in image.annotation.instances] == [[0, 0, 50, 50]] * 3
    assert [i["keypoints"][0] for i in image.annotation.instances] == [[1, 1, 2], [2, 2, 2], [3, 3, 2]]


def test_sideways_size_of_an_exif_rotated_jpeg_is_accepted_points_are_upright(admin_client, project, media_root):
    # Stored 30x12; orientation 6 makes it 12x30 upright. The file gives the stored size.
    archive = zip_of({"phone.jpg": image_bytes(width=30, height=12, orientation=6)})
    coco = document([(1, "phone.jpg", 30, 12)], [(1, points((11, 29, 2)))])

    response = post_import(admin_client, project, coco, archive)

    assert response.status_code == 201, response.content
    image = project.images.get()
    assert (image.width, image.height) == (12, 30)
    assert image.annotation.instances[0]["keypoints"][0] == [11, 29, 2]


def test_archive_members_not_in_the_file_join_the_pool_unlabelled(admin_client, project, media_root):
    archive = zip_of({"a.png": image_bytes(width=10, height=10), "extra.png": image_bytes(width=9, height=9)})
    coco = document([(1, "a.png", 10, 10)], [(1, points((5, 5, 2)))])

    response = post_import(admin_client, project, coco, archive)

    assert response.status_code == 201, response.content
    assert response.json()["images"] == {"created": 2, "duplicate": 0}
    assert sorted(project.images.values_list("name", "state")) == [("a.png", "labelled"), ("extra.png", "unlabelled")]


def test_import_access(anonymous_client, outsider_client, annotator_client, admin_client, project, stored_image):
    stored_image(project=project, name="a.png", width=10, height=10)
    coco = document([(1, "a.png", 10, 10)], [])
    assert post_import(anonymous_client, project, coco).status_code == 401
    assert post_import(outsider_client, project, coco).status_code == 404
    assert post_import(annotator_client, project, coco).status_code == 403
    assert post_import(admin_client, project, coco).status_code == 201


def test_missing_annotations_part_is_a_400(admin_client, project):
    response = admin_client.post(f"/api/v1/projects/{project.id}/import/", {}, format="multipart")
    assert response.status_code == 400
    assert "annotations" in response.json()
