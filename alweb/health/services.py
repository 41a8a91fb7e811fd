"""Record that a periodic task ran."""

from django.utils import timezone

from alweb.health.models import PeriodicRun


def periodic_run_record(*, name: str) -> None:
    PeriodicRun.objects.update_or_create(name=name, defaults={"finished_at": timezone.now()})
