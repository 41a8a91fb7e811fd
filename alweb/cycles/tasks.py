"""Celery tasks of the loop: ids in, one pipeline call each, named after the function they run.

dispatch.py enqueues them by these names; settings route them (models on "gpu", the rest on "default").
"""

import socket

from celery import shared_task

from alweb.cycles import dispatch, pipeline
from alweb.health.services import periodic_run_record

WORKER = socket.gethostname()


def _worker_id(task) -> str:
    return f"{WORKER}:{task.request.id}"


# The cycle's database lease, not the broker, guarantees one training at a time, so the task
# may be delivered twice (acks_late, visibility timeout): the second delivery finds the
# cycle claimed and returns.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=False, name=dispatch.CYCLE_TRAIN)
def cycle_train(self, cycle_id: int) -> None:
    """Train a cycle's model, then dispatch its scoring."""
    pipeline.cycle_train(cycle_id=cycle_id, worker=_worker_id(self))


@shared_task(bind=True, acks_late=True, max_retries=3, name=dispatch.CYCLE_SCORE_CHUNK)
def cycle_score_chunk(self, cycle_id: int, model_version_id: int, image_ids: list[int]) -> None:
    """Score one chunk of the pool (an idempotent upsert)."""
    try:
        pipeline.cycle_score_chunk(cycle_id=cycle_id, model_version_id=model_version_id, image_ids=image_ids)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            pipeline.cycle_scoring_fail(cycle_id=cycle_id, error=error)
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name=dispatch.CYCLES_RECOVER)
def cycles_recover() -> dict[str, int]:
    """Set stalled cycles going again (periodic); its last run is the health endpoint's sign that beat lives."""
    found = pipeline.cycles_recover()
    periodic_run_record(name=dispatch.CYCLES_RECOVER)
    return found


@shared_task(acks_late=True, name=dispatch.LABEL_OUTCOME_RECORD)
def label_outcome_record(entry_id: int) -> None:
    """Measure the realized loss of a labelled selection (idempotent)."""
    pipeline.label_outcome_record(entry_id=entry_id)
