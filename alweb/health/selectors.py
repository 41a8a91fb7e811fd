"""How long ago the periodic tasks last ran."""

from django.utils import timezone

from alweb.health.models import PeriodicRun


def periodic_run_age_seconds(*, name: str) -> float | None:
    """Seconds since the task last finished; None if it never has."""
    finished_at = PeriodicRun.objects.filter(name=name).values_list("finished_at", flat=True).first()
    return None if finished_at is None else (timezone.now() - finished_at).total_seconds()
