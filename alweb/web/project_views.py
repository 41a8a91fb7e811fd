"""Pages to create a project and to run one: its settings, skeleton and members. The scripts write through the API."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from alweb.errors import NotAllowed
from alweb.projects.access import ensure_may_create_project
from alweb.projects.cycle_defaults import audit_percent, cycle_defaults_of
from alweb.projects.selectors import project_has_labels
from alweb.projects.skeleton_validation import MAX_KEYPOINTS
from alweb.web.dashboard_views import strategies_in_menu_order
from alweb.web.page_access import admin_membership_or_404
from ml.models.registry import PRESETS as MODEL_PRESETS
from ml.skeletons import PRESETS


@login_required
def project_new(request):
    """The form that creates a project; 403 with the reason for users the deployment does not let create one."""
    try:
        ensure_may_create_project(user=request.user)
    except NotAllowed as refusal:
        return render(request, "web/project_new.html", {"refusal": str(refusal)}, status=403)
    config = {"presets": _presets(), "max_keypoints": MAX_KEYPOINTS}
    return render(request, "web/project_new.html", {"config": config})


@login_required
def project_settings(request, project_id: int):
    """Admins rename the project, set its cycle defaults, edit its skeleton and manage members; others get 404."""
    membership = admin_membership_or_404(request, project_id)
    project = membership.project
    defaults = cycle_defaults_of(project)
    config = {
        "project": {
            "id": project.id,
            "name": project.name,
            "keypoints": project.keypoints,
            "edges": project.edges,
            "flip_pairs": project.flip_pairs,
        },
        # Every stored label lists its points in the skeleton's order: from the first label on it is fixed.
        "skeleton_fixed": project_has_labels(project=project),
        "max_keypoints": MAX_KEYPOINTS,
        "username": request.user.username,
    }
    context = {
        "project": project,
        "membership": membership,
        "config": config,
        "defaults": defaults,
        "audit_percent": audit_percent(defaults),
        "strategies": strategies_in_menu_order(),
        "models": sorted(MODEL_PRESETS),
        "limits": {"max_epochs": settings.CYCLE_MAX_EPOCHS, "max_budget": settings.CYCLE_MAX_BUDGET},
    }
    return render(request, "web/project_settings.html", context)


def _presets() -> dict:
    return {
        name: {
            "keypoints": list(skeleton.keypoints),
            "edges": [list(edge) for edge in skeleton.edges],
            "flip_pairs": [list(pair) for pair in skeleton.flip_pairs],
        }
        for name, skeleton in sorted(PRESETS.items())
    }
