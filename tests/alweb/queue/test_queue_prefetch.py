"""queue/next with `after`: the editor leases the image to label after the current one, to prefetch it."""

import uuid

import pytest

pytestmark = pytest.mark.django_db


def take_next(client, project, after=None):
    body = {} if after is None else {"after": after}
    return client.post(f"/api/v1/projects/{project.id}/queue/next/", body, format="json")


def label(client, image_id):
    keypoints = [[10.0 + i, 20.0, 2] for i in range(14)]
    return client.put(f"/api/v1/images/{image_id}/annotation/", {"keypoints": keypoints}, format="json")


def test_after_leases_a_second_image_and_asking_again_returns_it(annotator_client, project, queued):
    current = take_next(annotator_client, project).json()
    following = take_next(annotator_client, project, after=current["lease"]["id"])
    assert following.status_code == 200, following.content
    assert following.json()["image"] == queued[1].id
    again = take_next(annotator_client, project, after=current["lease"]["id"]).json()
    assert again["lease"]["id"] == following.json()["lease"]["id"]
    # Asked the other way round, each lease names the other: never a third image.
    assert take_next(annotator_client, project, after=again["lease"]["id"]).json()["image"] == queued[0].id
    assert take_next(annotator_client, project, after=str(uuid.uuid4())).json()["image"] == queued[0].id
    stats = annotator_client.get(f"/api/v1/projects/{project.id}/queue/stats/").json()
    assert stats["leased"] == 2


def test_a_prefetched_image_is_nobody_elses_and_becomes_current_after_the_label(
    annotator_client, admin_client, project, queued
):
    current = take_next(annotator_client, project).json()
    following = take_next(annotator_client, project, after=current["lease"]["id"]).json()
    assert take_next(admin_client, project).json()["image"] == queued[2].id
    assert label(annotator_client, current["image"]).status_code == 201
    assert take_next(annotator_client, project).json()["lease"]["id"] == following["lease"]["id"]
    assert take_next(annotator_client, project, after=following["lease"]["id"]).json()["image"] == queued[3].id


def test_after_on_the_last_image_is_204(annotator_client, project, cycle, make_images):
    from alweb.queue.services import queue_fill
    from tests.alweb.queue.selections import selection

    queue_fill(cycle=cycle, entries=selection(make_images(1)))
    current = take_next(annotator_client, project).json()
    assert take_next(annotator_client, project, after=current["lease"]["id"]).status_code == 204


def test_after_must_be_a_lease_id(annotator_client, project, queued):
    response = take_next(annotator_client, project, after="not-a-uuid")
    assert response.status_code == 400 and "after" in response.json()
