"""Reads of projects and memberships."""

from django.db.models import QuerySet

from alweb.projects.models import Membership, Project


def projects_for_user(*, user) -> QuerySet[Project]:
    return Project.objects.filter(memberships__user_id=user.pk).order_by("id")


def memberships_of(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")


def project_has_labels(*, project: Project) -> bool:
    """Whether any image of the project has a label: from then on its keypoints' names, order and count are fixed."""
    return project.images.filter(annotation__isnull=False).exists()
