"""Reads about cycles and the images they train and score on."""

from django.db.models import Exists, OuterRef, QuerySet

from alweb.annotations.models import Annotation
from alweb.cycles.models import Cycle, ModelVersion
from alweb.images.models import Image
from alweb.projects.models import Project


def training_images(*, project: Project) -> QuerySet[Image]:
    """Labelled images outside the validation split: what a cycle trains on."""
    return (
        Image.objects.filter(project=project, annotation__isnull=False)
        .exclude(split=Image.Split.VAL)
        .select_related("annotation")
        .order_by("id")
    )


def validation_images(*, project: Project) -> QuerySet[Image]:
    return (
        Image.objects.filter(project=project, split=Image.Split.VAL, annotation__isnull=False)
        .select_related("annotation")
        .order_by("id")
    )


def unlabelled_pool(*, project: Project) -> QuerySet[Image]:
    """Pool images nobody has labelled: what a cycle scores and selects from."""
    # NOT EXISTS, not a LEFT JOIN ... IS NULL: PostgreSQL plans it as an anti join and estimates
    # the pool's size right, where the outer join's estimate (a few thousand rows) sent a
    # million-image pool's selection through a row-by-row nested loop.
    labelled = Annotation.objects.filter(image=OuterRef("pk"))
    return Image.objects.filter(~Exists(labelled), project=project, split=Image.Split.POOL).order_by("id")


def cycles_of(*, project: Project) -> QuerySet[Cycle]:
    return Cycle.objects.filter(project=project).order_by("-index")


def active_model_version(*, project: Project) -> ModelVersion | None:
    return ModelVersion.objects.filter(project=project, is_active=True).first()
