"""Everything that writes cycles, model versions and scores: the only module that does.

A cycle is a state machine in the database. Every move is a conditional UPDATE that names
the state it expects (and, while a worker holds the cycle, the worker's lease), so two
workers can never both move a cycle, and a dead worker's cycle can be taken over.
"""

import dataclasses
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from alweb.cycles import dispatch
from alweb.cycles.events import publish_cycle_progress, publish_cycle_state
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.selectors import training_images
from alweb.cycles.shapes import CycleMetrics, CycleProgress
from alweb.errors import Conflict, InvalidInput
from alweb.projects.models import Project
from alweb.queue.services import queue_fill
from ml.strategies import STRATEGY_SPECS

logger = logging.getLogger(__name__)
State = Cycle.State


def cycle_start(
    *,
    project: Project,
    strategy: str,
    budget: int,
    epochs: int,
    model_name: str,
    head_epochs: int = 0,
    audit_fraction: float = 0.0,
) -> Cycle:
    """Queue a new cycle of the project; Conflict while another one runs, InvalidInput without enough labels."""
    if strategy not in STRATEGY_SPECS:
        raise InvalidInput({"strategy": f"Unknown strategy; choose one of {', '.join(STRATEGY_SPECS)}."})
    labelled = training_images(project=project).count()
    if labelled < settings.CYCLE_MIN_LABELLED:
        needed = settings.CYCLE_MIN_LABELLED
        raise InvalidInput({"detail": f"A cycle needs at least {needed} labelled images; the project has {labelled}."})
    try:
        with transaction.atomic():
            last = Cycle.objects.filter(project=project).aggregate(last=Max("index"))["last"] or 0
            cycle = Cycle.objects.create(
                project=project,
                index=last + 1,
                strategy=strategy,
                budget=budget,
                epochs=epochs,
                head_epochs=head_epochs,
                audit_fraction=audit_fraction,
                model_name=model_name,
                progress=CycleProgress(phase="queued").as_json(),
                # For a queued cycle the lease time says when recovery may send it again.
                lease_expires_at=timezone.now() + _redispatch_after(),
            )
            dispatch.enqueue_cycle_train(cycle.id)
            publish_cycle_state(cycle)
    except IntegrityError:
        raise Conflict("Another cycle of this project is running; wait for it or cancel it.") from None
    return cycle


def cycle_claim(*, cycle_id: int, worker: str) -> Cycle | None:
    """Take the cycle for training if it is queued, or training under an expired lease.

    Returns the claimed cycle, or None when another worker holds it or it has moved on.
    """
    now = timezone.now()
    claimable = Q(state=State.QUEUED) | Q(state=State.TRAINING, lease_expires_at__lt=now)
    claimed = Cycle.objects.filter(claimable, pk=cycle_id).update(
        state=State.TRAINING,
        lease_owner=worker,
        lease_expires_at=now + _lease_ttl(),
        attempts=F("attempts") + 1,
        started_at=now,
    )
    if not claimed:
        return None
    cycle = Cycle.objects.select_related("project").get(pk=cycle_id)
    if cycle.attempts > settings.CYCLE_MAX_ATTEMPTS:
        cycle_fail(
            cycle_id=cycle_id,
            from_state=State.TRAINING,
            worker=worker,
            error=f"Training was interrupted {cycle.attempts - 1} times; giving up.",
        )
        return None
    publish_cycle_state(cycle)
    return cycle


def cycle_heartbeat(*, cycle_id: int, worker: str) -> bool:
    """Renew the worker's lease; False when the cycle was cancelled or taken over."""
    return bool(
        Cycle.objects.filter(pk=cycle_id, lease_owner=worker, state__in=[State.TRAINING, State.SCORING]).update(
            lease_expires_at=timezone.now() + _lease_ttl()
        )
    )


def cycle_lease_take_expired(*, cycle_id: int, state: str, seconds: float) -> bool:
    """Push out the expired lease of a cycle still in `state`; True for the one caller that did.

    Recovery takes a stalled cycle this way before sending its work again, so that two
    recovery runs never both resend it.
    """
    now = timezone.now()
    return bool(
        Cycle.objects.filter(pk=cycle_id, state=state, lease_expires_at__lt=now).update(
            lease_expires_at=now + timedelta(seconds=seconds)
        )
    )


def cycle_move(*, cycle_id: int, from_state: str, to_state: str, worker: str | None = None, **fields) -> bool:
    """Move the cycle from one state to the next if it is still where the caller expects it."""
    expected = Q(pk=cycle_id, state=from_state)
    if worker is not None:
        expected &= Q(lease_owner=worker)
    if to_state in (State.READY, State.FAILED, State.CANCELLED):
        fields.setdefault("finished_at", timezone.now())
    with transaction.atomic():
        moved = Cycle.objects.filter(expected).update(state=to_state, **fields)
        if moved:
            publish_cycle_state(Cycle.objects.get(pk=cycle_id))
    return bool(moved)


def cycle_scoring_start(*, cycle: Cycle, worker: str, images: int) -> bool:
    """Move a trained cycle on to scoring `images` pool images; False if it moved on meanwhile."""
    progress = dataclasses.replace(CycleProgress.from_json(cycle.progress), phase="scoring", step=0, steps=images)
    return cycle_move(
        cycle_id=cycle.id,
        from_state=State.TRAINING,
        to_state=State.SCORING,
        worker=worker,
        progress=progress.as_json(),
    )


def cycle_selecting_start(*, cycle_id: int) -> bool:
    """Move a fully scored cycle on to selection; True for the one caller that did."""
    return cycle_move(
        cycle_id=cycle_id,
        from_state=State.SCORING,
        to_state=State.SELECTING,
        lease_expires_at=timezone.now() + _lease_ttl(),
    )


def cycle_fail(*, cycle_id: int, from_state: str, error: str, worker: str | None = None) -> bool:
    logger.warning("cycle %s failed: %s", cycle_id, error)
    return cycle_move(
        cycle_id=cycle_id,
        from_state=from_state,
        to_state=State.FAILED,
        worker=worker,
        error=error[:2000],
        lease_owner="",
        lease_expires_at=None,
    )


def cycle_cancel(*, cycle: Cycle) -> Cycle:
    """Cancel a running cycle; its worker notices at its next heartbeat and stops."""
    with transaction.atomic():
        cancelled = Cycle.objects.filter(pk=cycle.pk, state__in=Cycle.ACTIVE_STATES).update(
            state=State.CANCELLED, finished_at=timezone.now(), lease_owner="", lease_expires_at=None
        )
        cycle.refresh_from_db()
        if not cancelled:
            raise Conflict(f"The cycle is {cycle.state}; only a running cycle can be cancelled.")
        publish_cycle_state(cycle)
    return cycle


def cycle_progress_report(*, cycle: Cycle, progress: CycleProgress) -> None:
    """Save the progress of a cycle being trained and send it live."""
    Cycle.objects.filter(pk=cycle.pk).update(progress=progress.as_json())
    publish_cycle_progress(project_id=cycle.project_id, cycle_id=cycle.id, progress=progress)


def cycle_scoring_progress_report(*, cycle: Cycle, scored: int) -> CycleProgress:
    """Record that `scored` pool images have scores, and renew the scoring lease; returns the progress.

    Any worker scoring a chunk keeps the cycle's lease alive: recovery waits while chunks land.
    """
    stored = CycleProgress.from_json(cycle.progress)
    progress = CycleProgress(
        phase="scoring",
        step=scored,
        steps=stored.steps or scored,
        losses=stored.losses or {},
        starting_weights=stored.starting_weights,
    )
    Cycle.objects.filter(pk=cycle.pk, state=State.SCORING).update(
        progress=progress.as_json(), lease_expires_at=timezone.now() + _lease_ttl()
    )
    publish_cycle_progress(project_id=cycle.project_id, cycle_id=cycle.id, progress=progress)
    return progress


@transaction.atomic
def cycle_metrics_measure(*, cycle_id: int, measure: Callable[[], dict]) -> CycleMetrics:
    """Update some of the cycle's metrics with what measure() returns, keeping the others.

    measure() runs under the cycle's row lock, so two workers recording outcomes at once
    never store a figure computed before the other's outcome landed.
    """
    cycle = Cycle.objects.select_for_update().get(pk=cycle_id)
    metrics = dataclasses.replace(CycleMetrics.from_json(cycle.metrics), **measure())
    cycle.metrics = metrics.as_json()
    cycle.save(update_fields=["metrics"])
    publish_cycle_state(cycle)
    return metrics


def cycle_selection_complete(*, cycle_id: int, version: ModelVersion, entries: list[dict]) -> bool:
    """Fill the queue with the selection, make the cycle's model the active one, and finish the cycle.

    One transaction, under the cycle's row lock: False (and nothing written) unless the cycle
    is still selecting, so a selection happens exactly once however often it is attempted.
    """
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("project").get(pk=cycle_id)
        if cycle.state != State.SELECTING:
            return False
        queue_fill(cycle=cycle, entries=entries)
        _model_version_make_active(version=version)
        metrics = dataclasses.replace(
            CycleMetrics.from_json(cycle.metrics), val_pck=version.metrics.get("val_pck"), selected=len(entries)
        )
        progress = dataclasses.replace(CycleProgress.from_json(cycle.progress), phase="ready")
        return cycle_move(
            cycle_id=cycle_id,
            from_state=State.SELECTING,
            to_state=State.READY,
            metrics=metrics.as_json(),
            progress=progress.as_json(),
            lease_owner="",
            lease_expires_at=None,
        )


def scores_upsert(*, version: ModelVersion, rows: list[dict]) -> None:
    """Write the model's scores of pool images; scoring the same images again overwrites them.

    rows: dicts of image_id, predicted_loss, entropy, keypoints [[x, y]], confidence [c] and instances.
    """
    Score.objects.bulk_create(
        [Score(model_version=version, **row) for row in rows],
        update_conflicts=True,
        unique_fields=["model_version", "image"],
        update_fields=["predicted_loss", "entropy", "keypoints", "confidence", "instances"],
    )


def model_version_store(*, cycle: Cycle, metrics: dict) -> ModelVersion:
    """The (inactive) model version a cycle trained, created once: a retried training replaces its metrics."""
    version, _ = ModelVersion.objects.update_or_create(
        cycle=cycle, defaults={"project_id": cycle.project_id, "model_name": cycle.model_name, "metrics": metrics}
    )
    return version


def model_version_checkpoint_set(*, version: ModelVersion, name: str) -> None:
    version.checkpoint.name = name
    version.save(update_fields=["checkpoint"])


@transaction.atomic
def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make this model the one /predict/ and the next cycle's warm start use."""
    if not version.checkpoint:
        raise Conflict("This model version has no stored weights yet.")
    _model_version_make_active(version=version)
    version.refresh_from_db()
    return version


def _model_version_make_active(*, version: ModelVersion) -> None:
    ModelVersion.objects.filter(project_id=version.project_id, is_active=True).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)


def _lease_ttl() -> timedelta:
    return timedelta(seconds=settings.CYCLE_LEASE_SECONDS)


def _redispatch_after() -> timedelta:
    return timedelta(seconds=settings.CYCLE_REDISPATCH_SECONDS)
