"""Celery tasks of the loop: ids in, one service call each. Queues: gpu for models, default else."""
import socket

from celery import shared_task

from alweb.cycles import outcomes, pipeline, recovery

WORKER = socket.gethostname()


def _worker_id(task) -> str:
    return f"{WORKER}:{task.request.id}"


# The cycle's database lease, not the broker, guarantees one training at a time, so the task
# may be delivered twice (acks_late, visibility timeout): the second delivery finds the
# cycle claimed and returns.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=False, name="cycles.train_cycle")
def train_cycle(self, cycle_id: int) -> None:
    """Train a cycle's model, then dispatch its scoring."""
    pipeline.cycle_train(cycle_id=cycle_id, worker=_worker_id(self))


@shared_task(bind=True, acks_late=True, max_retries=3, name="cycles.score_cycle_chunk")
def score_cycle_chunk(self, cycle_id: int, model_version_id: int, image_ids: list[int]) -> None:
    """Score one chunk of the pool (an idempotent upsert)."""
    try:
        pipeline.cycle_score_chunk(cycle_id=cycle_id, model_version_id=model_version_id, image_ids=image_ids)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            pipeline.cycle_scoring_failed(cycle_id=cycle_id, error=error)
            raise
        raise self.retry(exc=error, countdown=2 ** self.request.retries)


@shared_task(name="cycles.recover_cycles")
def recover_cycles() -> dict[str, int]:
    """Set stalled cycles going again (periodic)."""
    return recovery.cycles_recover()


@shared_task(acks_late=True, name="cycles.record_label_outcome")
def record_label_outcome(entry_id: int) -> None:
    """Measure the realized loss of a labelled selection (idempotent)."""
    outcomes.label_outcome_record(entry_id=entry_id)
