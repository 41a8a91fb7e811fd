"""The project at a glance: pool counts, labelled sets, the queue, the active model, the labelling rate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alweb.insights.conftest import label_for

pytestmark = pytest.mark.django_db


def overview(client, project):
    response = client.get(f"/api/v1/projects/{project.id}/overview/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_new_project_reads_as_empty(admin_client, project):
    body = overview(admin_client, project)
    assert body["images"] == {
        "total": 0,
        "by_state": {"unlabelled": 0, "queued": 0, "labelled": 0},
        "by_split": {"pool": 0, "train": 0, "val": 0},
    }
    assert (body["labelled"], body["validation"], body["active_model"]) == (0, 0, None)
    assert body["queue"] == {"open": 0, "leased": 0, "done": 0}
    assert body["labelling"]["total"] == 0 and len(body["labelling"]["hours"]) == 24
    assert body["labelling"]["annotators"] == []


def test_counts_queue_and_active_model(admin_client, annotator_client, project, ready_cycle, selection, make_images):
    from alweb.annotations.services import annotation_save

    for image in make_images(3, split="train"):
        annotation_save(image=image, user=project.created_by, keypoints=label_for(1), if_match=None)
    for image in make_images(2, split="val"):
        annotation_save(image=image, user=project.created_by, keypoints=label_for(2), if_match=None)
    assert annotator_client.post(f"/api/v1/projects/{project.id}/queue/next/").status_code == 200

    body = overview(admin_client, project)
    assert body["images"]["total"] == 10
    assert body["images"]["by_split"] == {"pool": 5, "train": 3, "val": 2}
    assert body["images"]["by_state"] == {"unlabelled": 0, "queued": 5, "labelled": 5}
    assert (body["labelled"], body["validation"]) == (3, 2)
    assert body["queue"] == {"open": 2, "leased": 1, "done": 3}
    active = body["active_model"]
    assert (active["cycle"], active["model"], active["val_pck"]) == (ready_cycle.id, "hg-tiny", 0.61)


def test_labels_per_hour_over_the_last_day_per_annotator(admin_client, project, annotator_user, make_images):
    from alweb.annotations.models import AnnotationRevision
    from alweb.annotations.services import annotation_save

    images = make_images(6, split="train")
    for image in images[:4]:
        annotation_save(image=image, user=annotator_user, keypoints=label_for(1), if_match=None)
    for image in images[4:]:
        annotation_save(image=image, user=project.created_by, keypoints=label_for(1), if_match=None)
    # One of ann's labels is two days old: outside the window.
    old = AnnotationRevision.objects.filter(annotator=annotator_user).first()
    AnnotationRevision.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    three_hours_ago = AnnotationRevision.objects.filter(annotator=annotator_user).exclude(pk=old.pk).first()
    AnnotationRevision.objects.filter(pk=three_hours_ago.pk).update(created_at=timezone.now() - timedelta(hours=3))

    labelling = overview(admin_client, project)["labelling"]
    assert labelling["window_hours"] == 24 and labelling["total"] == 5
    assert labelling["per_hour"] == round(5 / 24, 2)
    assert labelling["annotators"] == [
        {"username": "ann", "labels": 3, "per_hour": round(3 / 24, 2)},
        {"username": "ada", "labels": 2, "per_hour": round(2 / 24, 2)},
    ]
    hours = labelling["hours"]
    assert [hour["labels"] for hour in hours][-1] == 4 and hours[-4]["labels"] == 1
    assert sum(hour["labels"] for hour in hours) == 5
