"""Everything that writes projects and memberships."""

from django.contrib.auth import get_user_model
from django.db import transaction

from alweb.errors import Conflict, InvalidInput
from alweb.projects import selectors
from alweb.projects.models import Membership, Project
from alweb.projects.skeleton_validation import validate_skeleton
from alweb.realtime.events import publish_membership_revoked
from ml.skeletons import PRESETS

SKELETON_FIELDS = frozenset({"keypoints", "edges", "flip_pairs"})


def _skeleton_from(*, preset: str | None, keypoints, edges, flip_pairs) -> dict:
    if preset:
        skeleton = PRESETS[preset]
        return {
            "keypoints": list(skeleton.keypoints),
            "edges": [list(e) for e in skeleton.edges],
            "flip_pairs": [list(p) for p in skeleton.flip_pairs],
        }
    validate_skeleton(keypoints=keypoints or [], edges=edges or [], flip_pairs=flip_pairs or [])
    return {"keypoints": keypoints, "edges": edges or [], "flip_pairs": flip_pairs or []}


@transaction.atomic
def project_create(
    *, user, name: str, preset: str | None = None, keypoints=None, edges=None, flip_pairs=None
) -> Project:
    """Create a project from a preset or a custom skeleton; its creator becomes its admin."""
    skeleton = _skeleton_from(preset=preset, keypoints=keypoints, edges=edges, flip_pairs=flip_pairs)
    project = Project.objects.create(name=name, preset=preset or "", created_by=user, **skeleton)
    Membership.objects.create(project=project, user=user, role=Membership.Role.ADMIN)
    return project


@transaction.atomic
def project_update(*, project: Project, data: dict) -> Project:
    """Rename the project, set its cycle defaults or edit its skeleton; the keypoints are fixed once labels exist.

    A label is a list of points in the keypoints' order: renaming, reordering or adding a keypoint
    would silently change what every stored label means.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    keypoints = data.get("keypoints", project.keypoints)
    edges = data.get("edges", project.edges)
    flip_pairs = data.get("flip_pairs", project.flip_pairs)
    # Checked when the skeleton is edited: a project stored under older, looser rules can still be renamed.
    if SKELETON_FIELDS & data.keys():
        validate_skeleton(keypoints=keypoints, edges=edges, flip_pairs=flip_pairs)
    if list(keypoints) != list(project.keypoints) and selectors.project_has_labels(project=project):
        raise Conflict("The keypoints cannot be renamed, reordered, added or removed once images are labelled.")
    project.name = data.get("name", project.name)
    project.flag_percentile = data.get("flag_percentile", project.flag_percentile)
    # Fields left out keep their stored value, as the other fields of a PATCH do.
    project.cycle_defaults = {**project.cycle_defaults, **data.get("cycle_defaults", {})}
    project.keypoints, project.edges, project.flip_pairs = keypoints, edges, flip_pairs
    fields = ["name", "flag_percentile", "cycle_defaults", "keypoints", "edges", "flip_pairs", "updated_at"]
    project.save(update_fields=fields)
    return project


@transaction.atomic
def membership_set(*, project: Project, username: str, role: str) -> tuple[Membership, bool]:
    """Add a user to the project or change their role; returns (membership, created)."""
    # Unknown and inactive accounts get one answer, so that it never tells whether an account exists.
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput({"username": "This user cannot be added."})
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is None:
        return Membership.objects.create(project=project, user=user, role=role), True
    if membership.is_admin and role != Membership.Role.ADMIN:
        _ensure_another_admin(project=project, leaving=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership, False


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member; the last admin cannot leave, or nobody could manage the project."""
    if membership.is_admin:
        _ensure_another_admin(project=membership.project, leaving=membership)
    membership.delete()
    # Access is checked when a socket connects; open ones are closed once the removal commits.
    publish_membership_revoked(project_id=membership.project_id, user_id=membership.user_id)


def _ensure_another_admin(*, project: Project, leaving: Membership) -> None:
    admins = Membership.objects.select_for_update().filter(project=project, role=Membership.Role.ADMIN)
    if not admins.exclude(pk=leaving.pk).exists():
        raise Conflict("A project needs at least one admin.")
