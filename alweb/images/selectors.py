"""Reads of a project's images."""

from django.db.models import Count, QuerySet

from alweb.images.models import Image
from alweb.projects.models import Project

LISTED_FIELDS = ("id", "name", "width", "height", "sha256", "split", "state", "project_id", "boxes")


def image_rows(*, project: Project, state: str | None = None, split: str | None = None) -> QuerySet:
    """The project's images as dicts of the listed fields: the pool listing skips building models."""
    images = Image.objects.filter(project=project).values(*LISTED_FIELDS)
    if state:
        images = images.filter(state=state)
    if split:
        images = images.filter(split=split)
    return images


def image_counts(*, project: Project) -> dict:
    """Count the project's images by state and by split, from one GROUP BY query."""
    by_state = dict.fromkeys(Image.State.values, 0)
    by_split = dict.fromkeys(Image.Split.values, 0)
    groups = Image.objects.filter(project=project).values_list("state", "split").annotate(n=Count("*")).order_by()
    for state, split, n in groups:
        by_state[state] = by_state.get(state, 0) + n
        by_split[split] = by_split.get(split, 0) + n
    return {"total": sum(by_state.values()), "by_state": by_state, "by_split": by_split}
