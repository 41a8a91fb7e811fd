"""A project's defaults for starting a cycle: what the admins stored, the deployment's defaults for the rest."""

from django.conf import settings

from ml.models.registry import PRESETS as MODEL_PRESETS
from ml.strategies import DEFAULT_STRATEGY, STRATEGY_SPECS

FIELDS = ("strategy", "model", "budget", "epochs", "head_epochs", "audit_fraction")


def deployment_cycle_defaults() -> dict:
    """The values the cycles endpoint takes for a field a request leaves out."""
    max_epochs = settings.CYCLE_MAX_EPOCHS
    return {
        "strategy": DEFAULT_STRATEGY,
        "model": settings.DEFAULT_MODEL,
        "budget": min(100, settings.CYCLE_MAX_BUDGET),
        "epochs": min(10, max_epochs),
        "head_epochs": min(settings.CYCLE_DEFAULT_HEAD_EPOCHS, max_epochs),
        "audit_fraction": settings.CYCLE_DEFAULT_AUDIT_FRACTION,
    }


def cycle_defaults_of(project) -> dict:
    """Every field of the project's cycle defaults; a stored value no longer offered falls back to the deployment's."""
    stored = project.cycle_defaults
    defaults = deployment_cycle_defaults()
    for field in FIELDS:
        if field in stored and _still_offered(field, stored[field]):
            defaults[field] = stored[field]
    return defaults


def _still_offered(field: str, value) -> bool:
    # A deployment may drop a strategy or model, or lower its limits, after an admin chose them.
    if field == "strategy":
        return value in STRATEGY_SPECS
    if field == "model":
        return value in MODEL_PRESETS
    if field == "budget":
        return value <= settings.CYCLE_MAX_BUDGET
    if field in ("epochs", "head_epochs"):
        return value <= settings.CYCLE_MAX_EPOCHS
    return True


def audit_percent(defaults: dict) -> int | float:
    """The audit share as the forms show it: a percentage, whole when it is one (10, not 10.0)."""
    percent = round(100 * defaults["audit_fraction"], 2)
    return int(percent) if percent.is_integer() else percent
