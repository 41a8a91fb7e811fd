"""The admins' dashboard page: the shell and its settings; the page reads everything else from the API."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from alweb.cycles.strategies import DEFAULT_STRATEGY, STRATEGY_CHOICES
from alweb.projects.models import Membership
from ml.models.registry import PRESETS as MODEL_PRESETS

STRATEGY_LABELS = {
    "ll_plus_plus": "LearningLoss++ (LL++)",
    "ll_plus_plus_conv": "LL++ with the multi-scale conv head",
    "learning_loss": "Learning Loss",
    "random": "Random",
    "coreset": "Core-set",
    "multipeak_entropy": "Multi-peak heatmap entropy",
}


@login_required
def dashboard(request, project_id: int):
    """Admins run the active-learning loop here; anyone else gets 404, so the project's existence stays hidden."""
    membership = (
        Membership.objects.select_related("project").filter(project_id=project_id, user_id=request.user.pk).first()
    )
    if membership is None or not membership.is_admin:
        raise Http404("No such project.")
    project = membership.project
    config = {
        "project": {"id": project.id, "name": project.name},
        "strategies": [
            {"value": name, "label": STRATEGY_LABELS.get(name, name), "default": name == DEFAULT_STRATEGY}
            for name in _strategies_in_menu_order()
        ],
        "models": [{"value": name, "default": name == settings.DEFAULT_MODEL} for name in sorted(MODEL_PRESETS)],
        "socket_path": f"/ws/projects/{project.id}/",
    }
    return render(request, "web/dashboard.html", {"project": project, "config": config})


def _strategies_in_menu_order() -> list[str]:
    # The default first: it is the one the paper recommends and most admins keep.
    return [DEFAULT_STRATEGY] + sorted(name for name in STRATEGY_CHOICES if name != DEFAULT_STRATEGY)
