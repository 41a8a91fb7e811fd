"""Who may see and change what. Outsiders get 404 so that existence is never revealed.

An object of a project the user is not a member of answers exactly as an id never used does:
the same status and the same body.
"""

from django.conf import settings
from django.db.models import Q

from alweb.cycles.models import Cycle, ModelVersion
from alweb.errors import NotAllowed, NotFound
from alweb.images.models import Image
from alweb.projects.models import Membership, Project
from alweb.queue.models import EndedLease


def membership_for(*, user, project_id: int) -> Membership:
    """The user's membership of the project, or 404 if there is none."""
    membership = Membership.objects.select_related("project").filter(project_id=project_id, user_id=user.pk).first()
    if membership is None:
        raise NotFound("No such project.")
    return membership


def project_for_member(*, user, project_id: int) -> Project:
    return membership_for(user=user, project_id=project_id).project


def project_for_admin(*, user, project_id: int) -> Project:
    """The project if the user administers it; 404 for outsiders, 403 for annotators."""
    membership = membership_for(user=user, project_id=project_id)
    if not membership.is_admin:
        raise NotAllowed("Only the project's admins may do this.")
    return membership.project


def image_for_member(*, user, image_id: int):
    """An image of a project the user belongs to, or 404."""
    image = Image.objects.select_related("project").filter(pk=image_id, project__memberships__user_id=user.pk).first()
    if image is None:
        raise NotFound("No such image.")
    return image


def is_member(*, user, project_id: int) -> bool:
    """Whether the user belongs to the project, in any role."""
    return Membership.objects.filter(project_id=project_id, user_id=user.pk).exists()


def cycle_for_member(*, user, cycle_id: int, admin: bool = False):
    """A cycle of a project the user belongs to (administers, with admin=True), or 404 / 403."""
    cycle = Cycle.objects.filter(pk=cycle_id, project__memberships__user_id=user.pk).first()
    if cycle is None:
        raise NotFound("No such cycle.")
    if admin:
        project_for_admin(user=user, project_id=cycle.project_id)
    return cycle


def model_version_for_admin(*, user, version_id: int):
    """A model version of a project the user administers, or 404 / 403."""
    version = ModelVersion.objects.filter(pk=version_id, project__memberships__user_id=user.pk).first()
    if version is None:
        raise NotFound("No such model version.")
    project_for_admin(user=user, project_id=version.project_id)
    return version


def ensure_may_create_project(*, user) -> None:
    """Creating a project makes its creator an admin who runs cycles on the shared workers."""
    if settings.ALWEB_PROJECT_CREATORS == "all":
        return
    if not user.is_staff:
        raise NotAllowed("Only staff may create projects; ask one to create it and add you.")


def ensure_may_replace_label(*, user, image, annotation) -> None:
    """Annotators correct their own pool labels and those of the queue images given to them; the rest needs an admin.

    The training and validation splits are the ground truth every cycle is measured on.
    """
    if membership_for(user=user, project_id=image.project_id).is_admin:
        return
    if image.split != Image.Split.POOL:
        raise NotAllowed("Only the project's admins may change labels of the training or validation split.")
    if annotation.annotator_id == user.pk:
        return
    # A queue image given to this annotator: held now, or labelled by someone else while they held it
    # (they may then take the other label or overwrite it with theirs).
    given = Q(leased_by_id=user.pk) | Q(ended_leases__user_id=user.pk, ended_leases__reason=EndedLease.Reason.LABELLED)
    if image.queue_entries.filter(given).exists():
        return
    raise NotAllowed("Only the project's admins may change another annotator's label.")
