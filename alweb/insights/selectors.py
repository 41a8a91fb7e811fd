"""Reads behind the admins' dashboard: the project at a glance, a cycle's outcomes, the losses to analyse."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from alweb.annotations.models import AnnotationRevision
from alweb.cycles.models import Cycle
from alweb.cycles.selectors import active_model_version, training_images, validation_images
from alweb.images.selectors import image_counts
from alweb.projects.models import Project
from alweb.queue.models import QueueEntry
from alweb.queue.selectors import queue_stats

LABEL_RATE_WINDOW_HOURS = 24


def project_overview(*, project: Project) -> dict:
    """Pool counts, labelled and validation sizes, the queue, the active model and the labelling rate."""
    return {
        "images": image_counts(project=project),
        "labelled": training_images(project=project).count(),
        "validation": validation_images(project=project).count(),
        "queue": queue_stats(project=project),
        "active_model": active_model_version(project=project),
        "labelling": labelling_rate(project=project),
    }


def labelling_rate(*, project: Project, hours: int = LABEL_RATE_WINDOW_HOURS) -> dict:
    """Label saves (every revision, corrections included) per hour over the last hours, per annotator and per hour."""
    now = timezone.now()
    # Whole hours, so that the first bucket is as long as the others.
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    revisions = AnnotationRevision.objects.filter(annotation__image__project=project, created_at__gte=start)
    per_annotator = revisions.values("annotator").annotate(labels=Count("id")).order_by("-labels", "annotator")
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[row["annotator"] for row in per_annotator])
        .values_list("pk", "username")
    )
    per_hour = dict(
        revisions.annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(labels=Count("id"))
        .order_by()
        .values_list("hour", "labels")
    )
    hour_starts = [start + timedelta(hours=offset) for offset in range(hours)]
    total = sum(row["labels"] for row in per_annotator)
    return {
        "window_hours": hours,
        "total": total,
        "per_hour": round(total / hours, 2),
        "annotators": [
            {
                "username": names.get(row["annotator"], ""),
                "labels": row["labels"],
                "per_hour": round(row["labels"] / hours, 2),
            }
            for row in per_annotator
        ],
        "hours": [{"start": hour, "labels": per_hour.get(hour, 0)} for hour in hour_starts],
    }


def cycle_outcomes(*, cycle: Cycle) -> QuerySet[QueueEntry]:
    """The cycle's selected images that were labelled and measured, by rank."""
    return QueueEntry.objects.filter(cycle=cycle, realized_loss__isnull=False).order_by("rank")
