"""A Redis restart mid-cycle loses messages and connections; the cycle still finishes once."""

import pytest

from alweb.cycles.models import Cycle, ModelVersion
from alweb.cycles.services import cycle_start
from tests.alweb.cycles.conftest import restart_broker
from tests.alweb.cycles.seeding import seed_synthetic
from tests.live_processes import WorkerProcess, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def finished(cycle_id: int) -> Cycle | None:
    cycle = Cycle.objects.get(pk=cycle_id)
    return cycle if cycle.state in ("ready", "failed") else None


def test_restart_during_training(worker, broker, project, admin_user):
    seed_synthetic(project=project, user=admin_user, train=16, val=0, pool=10)
    cycle = cycle_start(project=project, strategy="ll_plus_plus", budget=4, epochs=8, model_name="hg-tiny")
    wait_for(lambda: (Cycle.objects.get(pk=cycle.id).progress.get("epoch") or 0) >= 2, timeout=120, worker=worker)
    restart_broker(broker)
    done = wait_for(lambda: finished(cycle.id), timeout=200, worker=worker)
    assert done.state == "ready", done.error
    assert ModelVersion.objects.filter(cycle=done).count() == 1
    assert done.queue_entries.count() == 4


def test_a_dispatch_lost_in_a_restart_is_sent_again(transactional_db, broker, project, admin_user, tmp_path):
    seed_synthetic(project=project, user=admin_user, train=8, val=0, pool=6)
    cycle = cycle_start(project=project, strategy="random", budget=3, epochs=1, model_name="hg-tiny")
    restart_broker(broker)  # the training message dies with the broker
    late_worker = WorkerProcess(tmp_path)
    late_worker.start()
    try:
        done = wait_for(lambda: finished(cycle.id), timeout=200, worker=late_worker)
    finally:
        late_worker.kill()
    assert done.state == "ready", done.error
    assert done.queue_entries.count() == 3
