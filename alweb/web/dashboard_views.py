"""The admins' dashboard page: the shell and its settings; the page reads everything else from the API."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from alweb.projects.cycle_defaults import audit_percent, cycle_defaults_of
from alweb.web.page_access import admin_membership_or_404
from ml.models.registry import PRESETS as MODEL_PRESETS
from ml.strategies import DEFAULT_STRATEGY, STRATEGY_SPECS, StrategySpec


@login_required
def dashboard(request, project_id: int):
    """Admins run the active-learning loop here; anyone else gets 404, so the project's existence stays hidden."""
    membership = admin_membership_or_404(request, project_id)
    project = membership.project
    # The "Start a cycle" form starts from the project's defaults (its settings page sets them).
    defaults = cycle_defaults_of(project)
    config = {
        "project": {"id": project.id, "name": project.name},
        "strategies": [
            {"value": spec.name, "label": spec.label, "default": spec.name == defaults["strategy"]}
            for spec in strategies_in_menu_order()
        ],
        "models": [{"value": name, "default": name == defaults["model"]} for name in sorted(MODEL_PRESETS)],
        "cycle_defaults": {
            "budget": defaults["budget"],
            "epochs": defaults["epochs"],
            "head_epochs": defaults["head_epochs"],
            "audit_percent": audit_percent(defaults),
        },
        "socket_path": f"/ws/projects/{project.id}/",
    }
    limits = {"max_epochs": settings.CYCLE_MAX_EPOCHS, "max_budget": settings.CYCLE_MAX_BUDGET}
    return render(
        request,
        "web/dashboard.html",
        {"project": project, "membership": membership, "config": config, "limits": limits},
    )


def strategies_in_menu_order() -> list[StrategySpec]:
    """The strategies as menus list them: the default first, as the paper recommends it and most admins keep it."""
    return sorted(STRATEGY_SPECS.values(), key=lambda spec: spec.name != DEFAULT_STRATEGY)
