"""Reads of the queue: the ranked selection, what a user may take next, the counts."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from alweb.cycles.models import Cycle
from alweb.projects.models import Project
from alweb.queue.models import EndedLease, QueueEntry

Open = QueueEntry.State.OPEN


def queue_entries(*, project: Project) -> QuerySet[QueueEntry]:
    """The project's open entries, highest predicted loss first."""
    return QueueEntry.objects.filter(project=project, state=Open).order_by("rank")


def entries_held_by(*, user, project: Project, now: datetime) -> QuerySet[QueueEntry]:
    """Open entries under the user's live leases (the current one and a prefetched one at most), by rank.

    Their images come with them.
    """
    return queue_entries(project=project).filter(leased_by=user, lease_expires_at__gt=now).select_related("image")


def entries_available_to(*, project: Project, user, now: datetime) -> QuerySet[QueueEntry]:
    """Open entries nobody holds (no lease or an expired one) that the user has not skipped, by rank, with their images.

    This is the query behind queue/next on SQLite (PostgreSQL's claim, in the function queue_lease_next
    of migration queue 0005, runs the same conditions in one UPDATE): it walks the open-rank partial index from the
    top and stops at the first row that qualifies, so its cost does not grow with the pool.
    The skips are a NOT IN, which PostgreSQL reads once into a hash whatever its
    statistics say, where a NOT EXISTS may become a join that rescans them for every row.
    """
    skipped = EndedLease.objects.filter(user=user, reason=EndedLease.Reason.SKIPPED).values("entry_id")
    return (
        queue_entries(project=project)
        .filter(Q(lease_id__isnull=True) | Q(lease_expires_at__lt=now))
        .exclude(pk__in=skipped)
        .select_related("image")
    )


def current_cycle_id(*, project: Project) -> int | None:
    """The latest cycle whose selection filled the queue, or None before the first one."""
    selected = QueueEntry.objects.filter(cycle=OuterRef("pk"))
    return (
        Cycle.objects.filter(project=project)
        .filter(Exists(selected))
        .order_by("-index")
        .values_list("pk", flat=True)
        .first()
    )


def queue_stats(*, project: Project) -> dict:
    """Open entries (leased ones included), those under a live lease, and those labelled in the current selection."""
    now = timezone.now()
    open_entries = queue_entries(project=project)
    cycle_id = current_cycle_id(project=project)
    done = QueueEntry.objects.filter(cycle_id=cycle_id, state=QueueEntry.State.DONE).count() if cycle_id else 0
    return {
        "open": open_entries.count(),
        "leased": open_entries.filter(lease_expires_at__gt=now).count(),
        "done": done,
    }
