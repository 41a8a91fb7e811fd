"""A whole active-learning cycle through the API and a real Celery worker process."""

import pytest

from alweb.cycles.models import Cycle, ModelVersion, Score
from tests.alweb.cycles.seeding import seed_synthetic
from tests.live_processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def cycle_state(client, cycle_id):
    return client.get(f"/api/v1/cycles/{cycle_id}/").json()


def test_a_cycle_trains_scores_selects_and_serves_a_ranked_queue(
    worker, project, admin_user, admin_client, annotator_client
):
    seed_synthetic(project=project, user=admin_user, train=24, val=8, pool=40)
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/cycles/",
        {"budget": 10, "epochs": 2, "head_epochs": 1, "audit_fraction": 0, "model": "hg-tiny"},
        format="json",
    )
    assert response.status_code == 201, response.content
    cycle = response.json()
    assert cycle["state"] == "queued" and cycle["strategy"] == "ll_plus_plus" and cycle["index"] == 1
    assert cycle["head_epochs"] == 1 and cycle["audit_fraction"] == 0

    done = wait_for(
        lambda: (c := cycle_state(admin_client, cycle["id"]))["state"] in ("ready", "failed") and c,
        timeout=180,
        worker=worker,
    )
    assert done["state"] == "ready", done
    assert done["metrics"]["val_pck"] is not None
    version = ModelVersion.objects.get(cycle_id=cycle["id"])
    assert version.is_active
    assert Score.objects.filter(model_version=version).count() == 40

    queue = annotator_client.get(f"/api/v1/projects/{project.id}/queue/").json()["results"]
    assert [entry["rank"] for entry in queue] == list(range(1, 11))
    losses = [entry["predicted_loss"] for entry in queue]
    assert losses == sorted(losses, reverse=True)
    top_scores = sorted(
        Score.objects.filter(model_version=version).values_list("predicted_loss", flat=True), reverse=True
    )[:10]
    assert losses == pytest.approx(top_scores)
    assert len(queue[0]["keypoints"]) == 14 and len(queue[0]["keypoints"][0]) == 3

    lease = annotator_client.post(f"/api/v1/projects/{project.id}/queue/next/").json()
    keypoints = [[x, y, 2] for x, y, _ in lease["keypoints"]]
    saved = annotator_client.put(
        f"/api/v1/images/{lease['image']}/annotation/", {"keypoints": keypoints}, format="json"
    )
    assert saved.status_code == 201
    measured = wait_for(
        lambda: (c := cycle_state(admin_client, cycle["id"]))["metrics"]["labelled"] == 1 and c,
        timeout=60,
        worker=worker,
    )
    # The label is the model's own prediction, so every keypoint is within the PCK threshold.
    assert measured["metrics"]["pck_selected"] == 1.0


def test_a_second_cycle_while_one_runs_is_409_and_annotators_get_403(
    project, admin_user, admin_client, annotator_client, transactional_db, broker
):
    seed_synthetic(project=project, user=admin_user, train=6, val=0, pool=0)
    url = f"/api/v1/projects/{project.id}/cycles/"
    assert annotator_client.post(url, {"budget": 5}, format="json").status_code == 403
    assert admin_client.post(url, {"budget": 5, "epochs": 1}, format="json").status_code == 201
    second = admin_client.post(url, {"budget": 5, "epochs": 1}, format="json")
    assert second.status_code == 409
    assert Cycle.objects.filter(project=project).count() == 1


@pytest.mark.parametrize("audit_fraction", ["NaN", "Infinity", -0.1, 1.5, "a tenth"])
def test_an_audit_fraction_outside_0_to_1_is_400(project, admin_user, admin_client, audit_fraction):
    seed_synthetic(project=project, user=admin_user, train=6, val=0, pool=0)
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/cycles/", {"budget": 5, "audit_fraction": audit_fraction}, format="json"
    )
    assert response.status_code == 400
    assert "audit_fraction" in response.json()
    assert not Cycle.objects.exists()


def test_too_few_labels_is_400(project, admin_client):
    response = admin_client.post(f"/api/v1/projects/{project.id}/cycles/", {"budget": 5}, format="json")
    assert response.status_code == 400
    assert "labelled images" in str(response.json())
    assert not Cycle.objects.exists()
