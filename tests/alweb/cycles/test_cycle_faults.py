"""Faults the loop must survive: a worker killed mid-training, a broker restart, a cancel."""

import signal

import pytest

from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.services import cycle_claim, cycle_start
from tests.alweb.cycles.seeding import seed_synthetic
from tests.live_processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def start(project, *, epochs: int, budget: int = 5) -> Cycle:
    return cycle_start(project=project, strategy="ll_plus_plus", budget=budget, epochs=epochs, model_name="hg-tiny")


def reached(cycle_id: int, *states: str) -> Cycle | None:
    cycle = Cycle.objects.get(pk=cycle_id)
    return cycle if cycle.state in states else None


def test_sigkill_mid_training_resumes_from_the_checkpoint_once(worker, project, admin_user):
    seed_synthetic(project=project, user=admin_user, train=16, val=4, pool=12)
    cycle = start(project, epochs=12)
    wait_for(lambda: (Cycle.objects.get(pk=cycle.id).progress.get("epoch") or 0) >= 3, timeout=120, worker=worker)

    worker.kill(signal.SIGKILL)
    killed_at = Cycle.objects.get(pk=cycle.id)
    assert killed_at.state == "training"

    worker.start()
    done = wait_for(lambda: reached(cycle.id, "ready", "failed"), timeout=200, worker=worker)
    assert done.state == "ready", done.error
    assert done.attempts == 2
    version = ModelVersion.objects.get(cycle=done)
    assert version.metrics["resumed_at_epoch"] >= 2
    assert len(version.metrics["history"]) == 12
    assert ModelVersion.objects.filter(project=project).count() == 1
    assert Score.objects.filter(model_version=version).count() == 12
    assert done.queue_entries.count() == 5


def test_a_live_lease_cannot_be_claimed_twice(project, admin_user, broker):
    seed_synthetic(project=project, user=admin_user, train=6, val=0, pool=0)
    cycle = start(project, epochs=1)
    assert cycle_claim(cycle_id=cycle.id, worker="first") is not None
    assert cycle_claim(cycle_id=cycle.id, worker="second") is None
    assert Cycle.objects.get(pk=cycle.id).lease_owner == "first"


def test_a_cycle_that_keeps_dying_fails_with_the_reason(project, admin_user, broker, settings):
    seed_synthetic(project=project, user=admin_user, train=6, val=0, pool=0)
    cycle = start(project, epochs=1)
    for attempt in range(settings.CYCLE_MAX_ATTEMPTS):
        assert cycle_claim(cycle_id=cycle.id, worker=f"w{attempt}") is not None
        Cycle.objects.filter(pk=cycle.id).update(lease_expires_at="2000-01-01T00:00:00Z")
    assert cycle_claim(cycle_id=cycle.id, worker="last") is None
    failed = Cycle.objects.get(pk=cycle.id)
    assert failed.state == "failed"
    assert "interrupted" in failed.error


def test_cancel_stops_a_running_cycle(worker, project, admin_user, admin_client, annotator_client):
    seed_synthetic(project=project, user=admin_user, train=16, val=0, pool=8)
    cycle = start(project, epochs=40)
    wait_for(lambda: reached(cycle.id, "training"), timeout=60, worker=worker)
    assert annotator_client.post(f"/api/v1/cycles/{cycle.id}/cancel/").status_code == 403
    response = admin_client.post(f"/api/v1/cycles/{cycle.id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert admin_client.post(f"/api/v1/cycles/{cycle.id}/cancel/").status_code == 409
    # The worker notices at its next heartbeat and stores no model.
    second = wait_for(
        lambda: (
            admin_client.post(
                f"/api/v1/projects/{project.id}/cycles/", {"budget": 4, "epochs": 1}, format="json"
            ).status_code
            == 201
        ),
        timeout=30,
        worker=worker,
    )
    assert second
    assert not ModelVersion.objects.filter(cycle_id=cycle.id).exists()
