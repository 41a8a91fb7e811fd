"""Chaos: kill -9 the worker three times at random moments of training and scoring, restart Redis once.

The cycle must still reach ready with one model version, every pool image scored exactly once,
no queue entry twice, and the labels as they were.
"""

import random
import signal
import time

import pytest

from alweb.annotations.models import Annotation
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.services import cycle_start
from tests.alweb.cycles.conftest import restart_broker
from tests.alweb.cycles.seeding import seed_synthetic
from tests.live_processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(480)]
POOL = 40
BUDGET = 6


@pytest.fixture
def chaos_settings(monkeypatch):
    """Small scoring chunks, so that kills land between chunks; attempts enough for three kills."""
    monkeypatch.setenv("SCORING_CHUNK_SIZE", "6")
    monkeypatch.setenv("CYCLE_MAX_ATTEMPTS", "6")


def state_of(cycle_id: int) -> Cycle:
    return Cycle.objects.get(pk=cycle_id)


def labels(project) -> list[tuple]:
    return list(
        Annotation.objects.filter(image__project=project).order_by("id").values_list("id", "version", "instances")
    )


def test_a_cycle_survives_three_kills_and_a_redis_restart(chaos_settings, worker, broker, project, admin_user):
    chaos = random.Random(20261130)
    seed_synthetic(project=project, user=admin_user, train=16, val=4, pool=POOL)
    labels_before = labels(project)
    cycle = cycle_start(
        project=project,
        strategy="ll_plus_plus",
        budget=BUDGET,
        epochs=8,
        head_epochs=2,
        audit_fraction=0.0,
        model_name="hg-tiny",
    )

    # Kill 1: at a random step of the pose network's training.
    wait_for(lambda: (state_of(cycle.id).progress.get("epoch") or 0) >= chaos.randint(1, 3), timeout=120, worker=worker)
    worker.kill(signal.SIGKILL)
    restart_broker(broker)
    worker.start()
    # Kill 2: a random moment after the new worker took the cycle over (still training, or later).
    wait_for(lambda: state_of(cycle.id).attempts >= 2, timeout=120, worker=worker)
    time.sleep(chaos.uniform(1.0, 4.0))
    worker.kill(signal.SIGKILL)
    worker.start()
    # Kill 3: while the pool is being scored, after some of its chunks landed.
    wait_for(
        lambda: (
            (
                state_of(cycle.id).state in ("scoring", "selecting", "ready")
                and Score.objects.filter(model_version__cycle=cycle).count() >= chaos.randint(6, 18)
            )
            or state_of(cycle.id).state == "ready"
        ),
        timeout=240,
        worker=worker,
    )
    worker.kill(signal.SIGKILL)
    worker.start()

    done = wait_for(lambda: (c := state_of(cycle.id)).state in ("ready", "failed") and c, timeout=240, worker=worker)
    assert done.state == "ready", done.error
    assert ModelVersion.objects.filter(project=project).count() == 1
    version = ModelVersion.objects.get(cycle=done)
    scored = list(Score.objects.filter(model_version=version).values_list("image_id", flat=True))
    assert len(scored) == len(set(scored)) == POOL
    queued = list(done.queue_entries.values_list("image_id", flat=True))
    assert len(queued) == len(set(queued)) == BUDGET
    assert labels(project) == labels_before
    print(
        f"\nchaos: ready after {(done.finished_at - done.created_at).total_seconds():.1f} s, "
        f"{done.attempts} training attempts, {version.metrics['resumed_at_epoch']} epochs resumed from a checkpoint"
    )
