"""The annotators' queue through whole HTTP requests: ranking, leases, skips, expiry, labels, access."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alweb.queue.selections import selection

pytestmark = pytest.mark.django_db


def take_next(client, project):
    return client.post(f"/api/v1/projects/{project.id}/queue/next/")


def expire_leases():
    from alweb.queue.models import QueueEntry

    QueueEntry.objects.exclude(lease_id=None).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_queue_lists_the_selection_by_predicted_loss_in_pages(annotator_client, project, cycle, make_images):
    from alweb.queue.services import queue_fill

    images = make_images(7)
    losses = [0.3, 2.5, 0.9, 7.0, 0.1, 4.2, 1.1]
    queue_fill(cycle=cycle, entries=selection(images, losses))

    url, seen = f"/api/v1/projects/{project.id}/queue/?page_size=3", []
    while url:
        page = annotator_client.get(url)
        assert page.status_code == 200, page.content
        assert len(page.json()["results"]) <= 3
        seen += page.json()["results"]
        url = page.json()["next"]
    assert [row["rank"] for row in seen] == [1, 2, 3, 4, 5, 6, 7]
    assert [row["predicted_loss"] for row in seen] == sorted(losses, reverse=True)
    assert [row["image"] for row in seen] == [images[i].id for i in (3, 5, 1, 6, 2, 0, 4)]
    assert len(seen[0]["keypoints"]) == 14 and len(seen[0]["keypoints"][0]) == 3


def test_next_leases_the_top_image_with_the_models_keypoints(annotator_client, project, queued):
    response = take_next(annotator_client, project)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["image"] == queued[0].id and body["rank"] == 1 and body["predicted_loss"] == 5.0
    assert body["image_url"] == f"/api/v1/images/{queued[0].id}/file"
    assert (body["width"], body["height"]) == (200, 100)
    assert len(body["keypoints"]) == 14 and body["keypoints"][0] == [11.0, 21.0, 0.5]
    assert uuid.UUID(body["lease"]["id"]) and body["lease"]["expires_at"]


def test_reload_returns_the_image_already_leased(annotator_client, project, queued):
    first = take_next(annotator_client, project).json()
    again = take_next(annotator_client, project).json()
    assert again["image"] == first["image"] and again["lease"]["id"] == first["lease"]["id"]
    stats = annotator_client.get(f"/api/v1/projects/{project.id}/queue/stats/").json()
    assert stats == {"open": 5, "leased": 1, "done": 0}


def test_two_annotators_get_different_images(annotator_client, admin_client, project, queued):
    ann = take_next(annotator_client, project).json()
    ada = take_next(admin_client, project).json()
    assert (ann["image"], ada["image"]) == (queued[0].id, queued[1].id)


def test_renew_extends_the_lease(annotator_client, project, queued, settings):
    settings.QUEUE_LEASE_SECONDS = 60
    lease = take_next(annotator_client, project).json()["lease"]
    settings.QUEUE_LEASE_SECONDS = 600
    renewed = annotator_client.post(f"/api/v1/leases/{lease['id']}/renew/")
    assert renewed.status_code == 200
    assert renewed.json()["id"] == lease["id"] and renewed.json()["expires_at"] > lease["expires_at"]


def test_skip_gives_the_image_to_others_but_not_back_to_the_skipper(annotator_client, admin_client, project, queued):
    lease = take_next(annotator_client, project).json()["lease"]
    assert annotator_client.post(f"/api/v1/leases/{lease['id']}/release/").status_code == 204
    assert take_next(annotator_client, project).json()["image"] == queued[1].id
    assert take_next(admin_client, project).json()["image"] == queued[0].id
    assert annotator_client.post(f"/api/v1/leases/{lease['id']}/renew/").status_code == 404
    assert annotator_client.post(f"/api/v1/leases/{lease['id']}/release/").status_code == 404


def test_an_expired_lease_returns_the_image_to_the_queue(annotator_client, admin_client, project, queued):
    lease = take_next(annotator_client, project).json()["lease"]
    expire_leases()
    assert take_next(admin_client, project).json()["image"] == queued[0].id
    taken = annotator_client.post(f"/api/v1/leases/{lease['id']}/renew/")
    assert taken.status_code == 409 and "another annotator" in taken.json()["detail"]
    assert take_next(annotator_client, project).json()["image"] == queued[1].id


def test_a_tiny_lease_time_lets_the_next_annotator_take_the_image(
    annotator_client, admin_client, project, queued, settings
):
    settings.QUEUE_LEASE_SECONDS = 0
    assert take_next(annotator_client, project).json()["image"] == queued[0].id
    assert take_next(admin_client, project).json()["image"] == queued[0].id


def test_an_expired_lease_nobody_took_can_be_renewed(annotator_client, project, queued):
    lease = take_next(annotator_client, project).json()["lease"]
    expire_leases()
    assert annotator_client.post(f"/api/v1/leases/{lease['id']}/renew/").status_code == 200
    assert take_next(annotator_client, project).json()["lease"]["id"] == lease["id"]


def test_empty_queue_is_204(annotator_client, admin_client, project, cycle, make_images):
    from alweb.queue.services import queue_fill

    assert take_next(annotator_client, project).status_code == 204
    queue_fill(cycle=cycle, entries=selection(make_images(1)))
    assert take_next(annotator_client, project).status_code == 200
    assert take_next(admin_client, project).status_code == 204


def test_labelling_the_image_completes_its_entry(annotator_client, project, queued):
    from alweb.queue.models import QueueEntry

    leased = take_next(annotator_client, project).json()
    label = {"keypoints": [[10.0 + i, 20.0, 2] for i in range(14)]}
    assert (
        annotator_client.put(f"/api/v1/images/{leased['image']}/annotation/", label, format="json").status_code == 201
    )

    entry = QueueEntry.objects.get(image_id=leased["image"])
    assert entry.state == "done" and entry.completed_at is not None and entry.lease_id is None
    stats = annotator_client.get(f"/api/v1/projects/{project.id}/queue/stats/").json()
    assert stats == {"open": 4, "leased": 0, "done": 1}
    listed = annotator_client.get(f"/api/v1/projects/{project.id}/queue/").json()["results"]
    assert leased["image"] not in [row["image"] for row in listed]
    assert take_next(annotator_client, project).json()["image"] == queued[1].id


def test_a_label_by_someone_else_ends_the_lease_with_409(annotator_client, admin_client, project, queued):
    leased = take_next(annotator_client, project).json()
    label = {"keypoints": [[10.0 + i, 20.0, 2] for i in range(14)]}
    admin_client.put(f"/api/v1/images/{leased['image']}/annotation/", label, format="json")
    renewed = annotator_client.post(f"/api/v1/leases/{leased['lease']['id']}/renew/")
    assert renewed.status_code == 409 and "labelled" in renewed.json()["detail"]


def test_leases_of_other_users_and_unknown_leases_are_404(
    annotator_client, admin_client, outsider_client, project, queued
):
    lease_id = take_next(annotator_client, project).json()["lease"]["id"]
    for client in (admin_client, outsider_client):
        assert client.post(f"/api/v1/leases/{lease_id}/renew/").status_code == 404
        assert client.post(f"/api/v1/leases/{lease_id}/release/").status_code == 404
    for unknown in (uuid.uuid4(), "not-a-uuid"):
        response = annotator_client.post(f"/api/v1/leases/{unknown}/renew/")
        assert response.status_code == 404 and response.json()["detail"]
    assert annotator_client.post(f"/api/v1/leases/{lease_id}/renew/").status_code == 200


ENDPOINTS = [
    ("get", "/api/v1/projects/{project}/queue/", 200),
    ("post", "/api/v1/projects/{project}/queue/next/", 200),
    ("get", "/api/v1/projects/{project}/queue/stats/", 200),
    ("post", "/api/v1/leases/{lease}/renew/", 200),
    ("post", "/api/v1/leases/{lease}/release/", 204),
]


@pytest.mark.parametrize("method, path, ok", ENDPOINTS)
@pytest.mark.parametrize("who", ["anonymous", "outsider", "annotator", "admin"])
def test_access(request, project, queued, client_for, who, method, path, ok):
    user = None if who == "anonymous" else request.getfixturevalue(f"{who}_user")
    # Members act on their own lease; the others try the annotator's.
    holder = user if who in ("annotator", "admin") else request.getfixturevalue("annotator_user")
    lease = take_next(client_for(holder), project).json()["lease"]["id"]
    response = getattr(client_for(user), method)(path.format(project=project.id, lease=lease))
    expected = {"anonymous": 401, "outsider": 404}.get(who, ok)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["detail"]
