"""Everything that writes cycles: start, claim, heartbeat, move between states, cancel.

A cycle is a state machine in the database. Every move is a conditional UPDATE that names
the state it expects (and, while a worker holds the cycle, the worker's lease), so two
workers can never both move a cycle, and a dead worker's cycle can be taken over.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from alweb.api_errors import Conflict
from alweb.cycles.events import publish_cycle_state
from alweb.cycles.models import Cycle, ModelVersion
from alweb.cycles.selectors import training_images
from alweb.cycles.strategies import STRATEGY_CHOICES
from alweb.projects.models import Project

logger = logging.getLogger(__name__)
State = Cycle.State


def cycle_start(*, project: Project, strategy: str, budget: int, epochs: int, model_name: str) -> Cycle:
    """Queue a new cycle of the project; 409 while another one runs, 400 without enough labels."""
    if strategy not in STRATEGY_CHOICES:
        raise ValidationError({"strategy": f"Unknown strategy; choose one of {', '.join(STRATEGY_CHOICES)}."})
    labelled = training_images(project=project).count()
    if labelled < settings.CYCLE_MIN_LABELLED:
        raise ValidationError(
            {"detail": f"A cycle needs at least {settings.CYCLE_MIN_LABELLED} labelled images; the project has {labelled}."}
        )
    try:
        with transaction.atomic():
            last = Cycle.objects.filter(project=project).aggregate(last=Max("index"))["last"] or 0
            cycle = Cycle.objects.create(
                project=project, index=last + 1, strategy=strategy, budget=budget, epochs=epochs,
                model_name=model_name, progress={"phase": "queued"},
                # For a queued cycle the lease time says when recovery may send it again.
                lease_expires_at=timezone.now() + timedelta(seconds=settings.CYCLE_REDISPATCH_SECONDS),
            )
            transaction.on_commit(lambda: dispatch_training(cycle.id))
            publish_cycle_state(cycle)
    except IntegrityError:
        raise Conflict("Another cycle of this project is running; wait for it or cancel it.")
    return cycle


def dispatch_training(cycle_id: int) -> None:
    from alweb.cycles.tasks import train_cycle

    try:
        train_cycle.apply_async(args=[cycle_id], queue="gpu")
    except Exception:
        # The broker may be restarting; the recovery task dispatches queued cycles again.
        logger.exception("could not dispatch training of cycle %s", cycle_id)


def cycle_claim(*, cycle_id: int, worker: str) -> Cycle | None:
    """Take the cycle for training if it is queued, or training under an expired lease.

    Returns the claimed cycle, or None when another worker holds it or it has moved on.
    """
    now = timezone.now()
    claimable = Q(state=State.QUEUED) | Q(state=State.TRAINING, lease_expires_at__lt=now)
    claimed = Cycle.objects.filter(claimable, pk=cycle_id).update(
        state=State.TRAINING, lease_owner=worker, lease_expires_at=now + _lease_ttl(),
        attempts=F("attempts") + 1, started_at=now,
    )
    if not claimed:
        return None
    cycle = Cycle.objects.select_related("project").get(pk=cycle_id)
    if cycle.attempts > settings.CYCLE_MAX_ATTEMPTS:
        cycle_fail(cycle_id=cycle_id, from_state=State.TRAINING, worker=worker,
                   error=f"Training was interrupted {cycle.attempts - 1} times; giving up.")
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


def cycle_fail(*, cycle_id: int, from_state: str, error: str, worker: str | None = None) -> bool:
    logger.warning("cycle %s failed: %s", cycle_id, error)
    return cycle_move(cycle_id=cycle_id, from_state=from_state, to_state=State.FAILED, worker=worker,
                      error=error[:2000], lease_owner="", lease_expires_at=None)


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


def cycle_progress_save(*, cycle_id: int, progress: dict) -> None:
    Cycle.objects.filter(pk=cycle_id).update(progress=progress)


def _lease_ttl() -> timedelta:
    return timedelta(seconds=settings.CYCLE_LEASE_SECONDS)


@transaction.atomic
def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make this model the one /predict/ and the next cycle's warm start use."""
    if not version.checkpoint:
        raise Conflict("This model version has no stored weights yet.")
    ModelVersion.objects.filter(project_id=version.project_id, is_active=True).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    version.refresh_from_db()
    return version
