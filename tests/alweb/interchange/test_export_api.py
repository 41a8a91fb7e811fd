"""Exporting a project as COCO keypoints through whole HTTP requests."""

import json

import pytest

from tests.alweb.interchange.conftest import exported, streamed_chunks

pytestmark = pytest.mark.django_db


def label(image, user, keypoints):
    from alweb.annotations.services import annotation_save

    annotation, _ = annotation_save(image=image, user=user, keypoints=keypoints, if_match="*")
    return annotation


@pytest.fixture
def hands(admin_user, annotator_user):
    from alweb.projects.services import membership_set, project_create

    project = project_create(
        user=admin_user,
        name='Hands <script>"x"</script>/../',
        keypoints=["wrist", "l-thumb", "r-thumb"],
        edges=[[0, 1], [0, 2]],
        flip_pairs=[[1, 2]],
    )
    membership_set(project=project, username=annotator_user.username, role="annotator")
    return project


def test_export_lists_images_labels_and_the_skeleton(annotator_client, hands, stored_image, admin_user):
    wide = stored_image(project=hands, name="wide.png", width=40, height=20)
    tall = stored_image(project=hands, name="sub/tall.png", width=10, height=30)
    label(wide, admin_user, [[10, 5, 2], [30, 15, 1], [0, 0, 0]])

    response = annotator_client.get(f"/api/v1/projects/{hands.id}/export/?format=coco")
    document = exported(response)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="hands-scriptxscript-{hands.id}-coco.json"'
    assert document["images"] == [
        {"id": wide.id, "file_name": "wide.png", "width": 40, "height": 20},
        {"id": tall.id, "file_name": "sub/tall.png", "width": 10, "height": 30},
    ]
    # The older one-skeleton label is one instance whose box is the whole image.
    assert document["annotations"] == [
        {
            "id": 1,
            "image_id": wide.id,
            "category_id": 1,
            "segmentation": [],
            "keypoints": [10, 5, 2, 30, 15, 1, 0, 0, 0],
            "num_keypoints": 2,
            "bbox": [0, 0, 40, 20],
            "area": 800,
            "iscrowd": 0,
        }
    ]
    [category] = document["categories"]
    assert category["id"] == 1 and category["name"] == "person"
    assert category["keypoints"] == ["wrist", "l-thumb", "r-thumb"]
    assert category["skeleton"] == [[1, 2], [1, 3]]
    assert category["flip_pairs"] == [[1, 2]]
    assert document["info"]["description"] == hands.name


def test_export_of_an_empty_project_is_valid_coco(admin_client, project):
    document = exported(admin_client.get(f"/api/v1/projects/{project.id}/export/"))
    assert document["images"] == [] and document["annotations"] == []
    assert len(document["categories"][0]["keypoints"]) == 14


def test_export_of_many_images_streams_in_several_chunks(admin_client, project, stored_image, admin_user):
    from alweb.images.models import Image

    first = stored_image(project=project, name="first.png", width=8, height=8)
    Image.objects.bulk_create(
        Image(
            project=project,
            name=f"img-{i:05d}.png",
            file=first.file.name,
            sha256=f"{i:064d}",
            content_type="image/png",
            width=8,
            height=8,
        )
        for i in range(3000)
    )
    label(first, admin_user, [[1, 1, 2]] * 14)
    response = admin_client.get(f"/api/v1/projects/{project.id}/export/?format=coco")
    chunks = streamed_chunks(response)
    assert len(chunks) > 1
    document = json.loads(b"".join(chunks))
    assert len(document["images"]) == 3001
    assert [a["image_id"] for a in document["annotations"]] == [first.id]


def test_unknown_format_is_a_400(admin_client, project):
    response = admin_client.get(f"/api/v1/projects/{project.id}/export/?format=voc")
    assert response.status_code == 400
    assert "format" in response.json()


def test_export_access(anonymous_client, outsider_client, annotator_client, admin_client, project):
    url = f"/api/v1/projects/{project.id}/export/?format=coco"
    assert anonymous_client.get(url).status_code == 401
    assert outsider_client.get(url).status_code == 404
    assert annotator_client.get(url).status_code == 200
    assert admin_client.get(url).status_code == 200
    assert admin_client.get("/api/v1/projects/999999/export/").status_code == 404
