"""Drive a cycle through its phases: train, then score in parallel chunks, then select."""
import logging

from celery import group

from alweb.cycles.models import Cycle, ModelVersion
from alweb.cycles.scoring import score_chunk, scoring_chunks
from alweb.cycles.selection import cycle_select
from alweb.cycles.services import cycle_claim, cycle_fail, cycle_move, cycle_progress_save
from alweb.cycles.training import CycleInterrupted, train_cycle_model

logger = logging.getLogger(__name__)
State = Cycle.State


def cycle_train(*, cycle_id: int, worker: str) -> None:
    """Claim the cycle, train its model (resuming from a checkpoint), then start scoring."""
    cycle = cycle_claim(cycle_id=cycle_id, worker=worker)
    if cycle is None:
        logger.info("cycle %s is not claimable by %s; nothing to do", cycle_id, worker)
        return
    try:
        version = train_cycle_model(cycle=cycle, worker=worker)
    except CycleInterrupted:
        logger.info("training of cycle %s stopped: cancelled or taken over", cycle_id)
        return
    except Exception as error:
        logger.exception("training of cycle %s failed", cycle_id)
        cycle_fail(cycle_id=cycle_id, from_state=State.TRAINING, worker=worker, error=f"Training failed: {error}")
        return
    chunks = scoring_chunks(cycle=cycle, model_version=version)
    total = sum(len(chunk) for chunk in chunks)
    progress = {**cycle.progress, "phase": "scoring", "step": 0, "steps": total}
    if not cycle_move(cycle_id=cycle_id, from_state=State.TRAINING, to_state=State.SCORING, worker=worker,
                      progress=progress):
        logger.info("cycle %s moved on while its model was saved; leaving it", cycle_id)
        return
    if total == 0:
        cycle_select(cycle_id=cycle_id)
        return
    dispatch_scoring(cycle_id=cycle_id, model_version_id=version.id, chunks=chunks)


def dispatch_scoring(*, cycle_id: int, model_version_id: int, chunks: list[list[int]]) -> None:
    """Send the chunks to the gpu queue; any number of workers score them in parallel."""
    from alweb.cycles.tasks import score_cycle_chunk

    try:
        group(score_cycle_chunk.s(cycle_id, model_version_id, chunk) for chunk in chunks).apply_async(queue="gpu")
    except Exception:
        # The broker may be restarting: recovery finds the unscored images and sends them again.
        logger.exception("could not dispatch scoring of cycle %s", cycle_id)


def cycle_score_chunk(*, cycle_id: int, model_version_id: int, image_ids: list[int]) -> None:
    """Score one chunk; the chunk that completes the pool moves the cycle on to selection."""
    if score_chunk(cycle_id=cycle_id, model_version_id=model_version_id, image_ids=image_ids):
        cycle_select(cycle_id=cycle_id)


def cycle_scoring_failed(*, cycle_id: int, error: Exception) -> None:
    cycle_fail(cycle_id=cycle_id, from_state=State.SCORING, error=f"Scoring failed: {error}")


def cycle_rescore_missing(*, cycle: Cycle) -> int:
    """Send again the chunks whose scores never arrived (lost messages, dead workers)."""
    version = ModelVersion.objects.get(cycle=cycle)
    chunks = scoring_chunks(cycle=cycle, model_version=version)
    if not chunks:
        cycle_select(cycle_id=cycle.id)
        return 0
    cycle_progress_save(cycle_id=cycle.id, progress=cycle.progress)
    dispatch_scoring(cycle_id=cycle.id, model_version_id=version.id, chunks=chunks)
    return len(chunks)
