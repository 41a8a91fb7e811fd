"""Find cycles whose worker or messages were lost and set them going again.

Run periodically (Celery beat). Every action here is safe to repeat: claims and moves are
conditional updates, and scores are upserts.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from alweb.cycles.models import Cycle
from alweb.cycles.pipeline import cycle_rescore_missing
from alweb.cycles.selection import cycle_finish_selection
from alweb.cycles.services import dispatch_training

logger = logging.getLogger(__name__)
State = Cycle.State


def cycles_recover() -> dict[str, int]:
    """Re-dispatch stalled cycles; returns how many of each kind were found."""
    now = timezone.now()
    found = {"queued": 0, "training": 0, "scoring": 0, "selecting": 0}
    for cycle in Cycle.objects.filter(state=State.QUEUED, lease_expires_at__lt=now):
        # The message may have been lost with a broker restart; a duplicate is a no-op claim.
        Cycle.objects.filter(pk=cycle.pk, state=State.QUEUED).update(lease_expires_at=now + _redispatch_after())
        dispatch_training(cycle.id)
        found["queued"] += 1
    for cycle in Cycle.objects.filter(state=State.TRAINING, lease_expires_at__lt=now):
        logger.warning("cycle %s lost its training worker; dispatching it again", cycle.id)
        dispatch_training(cycle.id)
        found["training"] += 1
    for cycle in Cycle.objects.filter(state=State.SCORING, lease_expires_at__lt=now):
        claimed = Cycle.objects.filter(pk=cycle.pk, state=State.SCORING, lease_expires_at__lt=now).update(
            lease_expires_at=now + timedelta(seconds=settings.CYCLE_LEASE_SECONDS)
        )
        if claimed:
            cycle_rescore_missing(cycle=cycle)
            found["scoring"] += 1
    for cycle in Cycle.objects.filter(state=State.SELECTING, lease_expires_at__lt=now):
        cycle_finish_selection(cycle_id=cycle.id)
        found["selecting"] += 1
    return found


def _redispatch_after() -> timedelta:
    return timedelta(seconds=settings.CYCLE_REDISPATCH_SECONDS)
