"""Reads behind the admins' dashboard: the project at a glance, a cycle's outcomes, the losses to analyse."""

from datetime import timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from alweb.annotations.models import AnnotationRevision
from alweb.cycles.models import Cycle
from alweb.cycles.selectors import active_model_version, training_images, validation_images
from alweb.images.models import Image
from alweb.projects.models import Project
from alweb.queue.models import QueueEntry
from alweb.queue.selectors import queue_stats

LABEL_RATE_WINDOW_HOURS = 24
# The most points a cycle's scatter holds: enough to see how predicted and realized loss go
# together, and a bounded response however large the cycle's budget was.
SCATTER_MAX_POINTS = 1000
SCATTER_FIELDS = ("image_id", "rank", "predicted_loss", "realized_loss", "pck")


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


def image_counts(*, project: Project) -> dict:
    """The project's images by state and by split, each total exact: {total, by_state, by_split}.

    One GROUP BY over (state, split) reads every row of the table; at a million images that
    took the overview over half a second. Instead: the total from the narrow project index
    (an index-only scan), the few labelled, queued, training and validation images each from
    the index that starts with (project, state) or (project, split), and the big rest, the
    unlabelled pool, as the difference.
    """
    images = Image.objects.filter(project=project)
    total = images.count()
    return {
        "total": total,
        "by_state": _counted_with_rest(images, "state", rest=Image.State.UNLABELLED, total=total),
        "by_split": _counted_with_rest(images, "split", rest=Image.Split.POOL, total=total),
    }


def _counted_with_rest(images: QuerySet[Image], field: str, *, rest: str, total: int) -> dict[str, int]:
    choices = Image._meta.get_field(field).choices
    counts = {value: images.filter(**{field: value}).count() for value, _ in choices if value != rest}
    return {value: counts.get(value, total - sum(counts.values())) for value, _ in choices}


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


def cycle_outcomes(*, cycle: Cycle) -> tuple[list[dict], int]:
    """The cycle's selected images that were labelled and measured, by rank, and how many there are.

    Up to SCATTER_MAX_POINTS of them: all, or a random sample of that many drawn with the
    cycle's id as seed, so that the same cycle shows the same points on every reload.
    """
    measured = QueueEntry.objects.filter(cycle=cycle, realized_loss__isnull=False)
    total = measured.count()
    if total > SCATTER_MAX_POINTS:
        ids = np.array(measured.order_by("id").values_list("id", flat=True))
        sample = np.random.default_rng(cycle.id).choice(ids, size=SCATTER_MAX_POINTS, replace=False)
        measured = measured.filter(id__in=sample.tolist())
    return list(measured.order_by("rank").values(*SCATTER_FIELDS)), total
