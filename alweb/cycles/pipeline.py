"""The orchestration of a cycle: train, score the pool in chunks, select, finish; recover what stalled.

Each function here is what one Celery task runs (tasks.py names its task after it). The work
modules (training, scoring, ranking, outcomes) compute; services.py writes every state change;
dispatch.py sends the next task. Every step is safe to repeat: claims and moves are conditional
updates, scores are upserts and a selection happens once.
"""

import logging
import time

from django.conf import settings
from django.utils import timezone

from alweb.cycles import artefacts, dispatch, services
from alweb.cycles.leases import CycleInterrupted, LeaseKeeper
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.outcomes import outcome_measure, selection_metrics
from alweb.cycles.ranking import selection_entries
from alweb.cycles.scoring import chunk_score, scoring_chunks
from alweb.cycles.shapes import CycleProgress
from alweb.cycles.training import train_cycle_model
from alweb.errors import DomainError, InvalidInput
from alweb.queue.models import QueueEntry
from alweb.queue.services import entry_outcome_save
from ml.train import Progress

logger = logging.getLogger(__name__)
State = Cycle.State
# Training progress is saved and sent at most this often, and at the end of every epoch.
PROGRESS_INTERVAL_S = 1.0
# ml.train's phases as a cycle reports them: the pose network (with its head), then the head alone.
TRAINING_PHASES = {"pose": "training", "head": "training_head"}


def cycle_train(*, cycle_id: int, worker: str) -> None:
    """Claim the cycle, train its model (resuming from a checkpoint), store it, then start scoring."""
    cycle = services.cycle_claim(cycle_id=cycle_id, worker=worker)
    if cycle is None:
        logger.info("cycle %s is not claimable by %s; nothing to do", cycle_id, worker)
        return
    checkpoint = artefacts.checkpoint_download(cycle_id=cycle_id) or artefacts.local_checkpoint_path(cycle_id)
    try:
        with LeaseKeeper(cycle_id=cycle_id, worker=worker) as lease:
            trained = train_cycle_model(
                cycle=cycle,
                device=artefacts.worker_device(),
                checkpoint_path=checkpoint,
                batch_size=settings.TRAIN_BATCH_SIZE,
                lr=settings.TRAIN_LR,
                progress=(reporter := _TrainingReporter(cycle=cycle, lease=lease)),
                weights_chosen=reporter.weights_chosen,
            )
            lease.check()
    except CycleInterrupted:
        logger.info("training of cycle %s stopped: cancelled or taken over", cycle_id)
        return
    except Exception as error:
        logger.exception("training of cycle %s failed", cycle_id)
        services.cycle_fail(
            cycle_id=cycle_id, from_state=State.TRAINING, worker=worker, error=failure_message("Training", error)
        )
        return
    version = services.model_version_store(cycle=cycle, metrics=trained.metrics)
    name = artefacts.model_save(
        model=trained.model, name=artefacts.model_name_for(project_id=cycle.project_id, version_id=version.id)
    )
    services.model_version_checkpoint_set(version=version, name=name)
    artefacts.labelled_features_save(cycle_id=cycle_id, features=trained.labelled_features)
    artefacts.checkpoint_delete(cycle_id=cycle_id)
    chunks = scoring_chunks(cycle=cycle, model_version=version)
    if not services.cycle_scoring_start(cycle=cycle, worker=worker, images=sum(len(chunk) for chunk in chunks)):
        logger.info("cycle %s moved on while its model was saved; leaving it", cycle_id)
        return
    if not chunks:
        cycle_select(cycle_id=cycle_id)
        return
    dispatch.enqueue_cycle_score_chunks(cycle_id=cycle_id, model_version_id=version.id, chunks=chunks)


class _TrainingReporter:
    """ml.train's progress callback: stop if the lease is lost, checkpoint each epoch, report progress."""

    def __init__(self, *, cycle: Cycle, lease: LeaseKeeper):
        self.cycle, self.lease = cycle, lease
        self._last = 0.0
        self.starting_weights: str | None = None

    def weights_chosen(self, starting_weights: str) -> None:
        """Say at once where the network starts: a ResNet without ImageNet weights learns much slower."""
        self.starting_weights = starting_weights
        services.cycle_progress_report(
            cycle=self.cycle, progress=CycleProgress(phase="training", starting_weights=starting_weights)
        )

    def __call__(self, progress: Progress) -> None:
        self.lease.check()
        if progress.epoch_end:
            artefacts.checkpoint_upload(cycle_id=self.cycle.id)
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_S and not progress.epoch_end:
            return
        self._last = now
        services.cycle_progress_report(
            cycle=self.cycle,
            progress=CycleProgress(
                phase=TRAINING_PHASES[progress.phase],
                epoch=progress.epoch,
                epochs=progress.epochs,
                step=progress.step,
                steps=progress.steps,
                eta_s=round(progress.eta_s, 1),
                losses={name: round(value, 5) for name, value in progress.losses.items()},
                starting_weights=self.starting_weights,
            ),
        )


def cycle_score_chunk(*, cycle_id: int, model_version_id: int, image_ids: list[int]) -> None:
    """Score one chunk and store its scores; the chunk that completes the pool moves the cycle on to selection.

    Scoring the same chunk twice overwrites the same rows, so a redelivered task is harmless.
    """
    cycle = Cycle.objects.filter(pk=cycle_id, state=State.SCORING).first()
    if cycle is None:
        return
    version = ModelVersion.objects.get(pk=model_version_id)
    scores = chunk_score(version=version, image_ids=image_ids)
    services.scores_upsert(version=version, rows=scores.rows)
    if cycle.strategy == "coreset" and scores.image_ids:
        artefacts.pool_features_save(cycle_id=cycle_id, image_ids=scores.image_ids, features=scores.features)
    scored = Score.objects.filter(model_version=version).count()
    progress = services.cycle_scoring_progress_report(cycle=cycle, scored=scored)
    if scored >= progress.steps:
        cycle_select(cycle_id=cycle_id)


def cycle_scoring_fail(*, cycle_id: int, error: Exception) -> None:
    logger.error("scoring of cycle %s failed", cycle_id, exc_info=error)
    services.cycle_fail(cycle_id=cycle_id, from_state=State.SCORING, error=failure_message("Scoring", error))


def failure_message(phase: str, error: Exception) -> str:
    """What a failed cycle tells its admins (REST and websocket): a domain error's own words, else no internals.

    An exception's text can hold paths, hosts and library internals; it goes to the worker's log.
    """
    if isinstance(error, InvalidInput):
        return f"{phase} failed: {error.first_message}"
    if isinstance(error, DomainError):
        return f"{phase} failed: {error.detail}"
    return f"{phase} failed on the worker; its log has the details."


def cycle_select(*, cycle_id: int) -> bool:
    """Move a scored cycle to selecting and select; exactly once per cycle, whoever calls first."""
    if not services.cycle_selecting_start(cycle_id=cycle_id):
        return False
    return cycle_selection_finish(cycle_id=cycle_id)


def cycle_selection_finish(*, cycle_id: int) -> bool:
    """Rank the pool, fill the queue and make the model active, for a cycle in the selecting state."""
    cycle = Cycle.objects.select_related("project").get(pk=cycle_id)
    version = ModelVersion.objects.get(cycle=cycle)
    try:
        entries = selection_entries(cycle=cycle, version=version)
    except DomainError as error:
        # The pool outgrew what the strategy may select from (see ranking.coreset_pool_check).
        services.cycle_fail(cycle_id=cycle_id, from_state=State.SELECTING, error=failure_message("Selecting", error))
        return False
    return services.cycle_selection_complete(cycle_id=cycle_id, version=version, entries=entries)


def cycle_rescore_missing(*, cycle: Cycle) -> int:
    """Send again the chunks whose scores never arrived (lost messages, dead workers); returns how many."""
    version = ModelVersion.objects.get(cycle=cycle)
    chunks = scoring_chunks(cycle=cycle, model_version=version)
    if not chunks:
        cycle_select(cycle_id=cycle.id)
        return 0
    dispatch.enqueue_cycle_score_chunks(cycle_id=cycle.id, model_version_id=version.id, chunks=chunks)
    return len(chunks)


def cycles_recover() -> dict[str, int]:
    """Set stalled cycles going again (run periodically); returns how many of each kind were found."""
    now = timezone.now()
    found = {"queued": 0, "training": 0, "scoring": 0, "selecting": 0}
    for cycle in Cycle.objects.filter(state=State.QUEUED, lease_expires_at__lt=now):
        # The message may have been lost with a broker restart; a duplicate is a no-op claim.
        if services.cycle_lease_take_expired(
            cycle_id=cycle.id, state=State.QUEUED, seconds=settings.CYCLE_REDISPATCH_SECONDS
        ):
            dispatch.enqueue_cycle_train(cycle.id)
            found["queued"] += 1
    for cycle in Cycle.objects.filter(state=State.TRAINING, lease_expires_at__lt=now):
        logger.warning("cycle %s lost its training worker; dispatching it again", cycle.id)
        dispatch.enqueue_cycle_train(cycle.id)
        found["training"] += 1
    for cycle in Cycle.objects.filter(state=State.SCORING, lease_expires_at__lt=now).select_related("project"):
        if services.cycle_lease_take_expired(
            cycle_id=cycle.id, state=State.SCORING, seconds=settings.CYCLE_LEASE_SECONDS
        ):
            cycle_rescore_missing(cycle=cycle)
            found["scoring"] += 1
    for cycle in Cycle.objects.filter(state=State.SELECTING, lease_expires_at__lt=now):
        cycle_selection_finish(cycle_id=cycle.id)
        found["selecting"] += 1
    return found


def label_outcome_record(*, entry_id: int) -> None:
    """Measure the realized loss of a labelled selected image and update its cycle's metrics (idempotent)."""
    entry = QueueEntry.objects.select_related("cycle__project").filter(pk=entry_id, state="done").first()
    if entry is None:
        return
    outcome = outcome_measure(entry=entry)
    if outcome is None:
        return
    entry_outcome_save(entry_id=entry.id, realized_loss=outcome.realized_loss, pck=outcome.pck)
    services.cycle_metrics_measure(cycle_id=entry.cycle_id, measure=lambda: selection_metrics(cycle_id=entry.cycle_id))
