"""The selecting phase's work: rank the scored pool the cycle's strategy's way into queue entries.

Besides the strategy's picks, a cycle mixes an audit sample into its queue: images drawn at
random from the rest of the pool, at random places in the queue and unmarked to annotators, so
that they are labelled like the rest. Their PCK is the honest baseline the picks are measured
against: without it, a low PCK of the picks could just mean a weak model.

It reads and computes; the pipeline hands the entries to the service that fills the queue.
"""

import numpy as np

from alweb.cycles import artefacts
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.selectors import unlabelled_pool
from ml.strategies import select, strategy_spec


def audit_size(*, budget: int, fraction: float) -> int:
    """How many random pool images go with a selection of `budget`: at least one when enabled."""
    return max(1, round(budget * fraction)) if fraction > 0 else 0


def selection_entries(*, cycle: Cycle, version: ModelVersion) -> list[dict]:
    """The cycle's queue: image_id, rank (1 first), predicted_loss, keypoints [[x, y, c]], instances, top_percent,
    is_audit."""
    scores = list(
        Score.objects.filter(model_version=version, image__in=unlabelled_pool(project=cycle.project))
        .order_by("image_id")
        .values(
            "image_id",
            "predicted_loss",
            "entropy",
            "keypoints",
            "confidence",
            "instances",
            "image__width",
            "image__height",
        )
    )
    picked = _ranked(cycle, scores)
    audit = _audit_sample(cycle, pool_size=len(scores), picked=picked)
    top_percent = _top_percent(np.array([s["predicted_loss"] for s in scores], dtype=np.float64))
    order = _interleaved(picked, audit, seed=cycle.id)
    audited = set(audit.tolist())
    return [
        {
            "image_id": scores[i]["image_id"],
            "rank": rank,
            "predicted_loss": scores[i]["predicted_loss"],
            "keypoints": _with_confidence(scores[i]),
            "instances": scores[i]["instances"] or [_whole_image_instance(scores[i])],
            "top_percent": round(float(top_percent[i]), 2),
            "is_audit": i in audited,
        }
        for rank, i in enumerate(order, start=1)
    ]


def _with_confidence(score: dict) -> list[list[float]]:
    return [[x, y, c] for (x, y), c in zip(score["keypoints"], score["confidence"], strict=True)]


def _whole_image_instance(score: dict) -> dict:
    """The one instance of an image scored whole."""
    return {
        "bbox": [0.0, 0.0, float(score["image__width"]), float(score["image__height"])],
        "keypoints": _with_confidence(score),
        "predicted_loss": score["predicted_loss"],
    }


def _ranked(cycle: Cycle, scores: list[dict]) -> np.ndarray:
    """Pool positions in selection order, the strategy's way."""
    if not scores:
        return np.zeros(0, dtype=np.int64)
    selector = strategy_spec(cycle.strategy).selector
    inputs = {
        "predicted_loss": np.array([s["predicted_loss"] for s in scores]),
        "heatmap_entropy": np.array([s["entropy"] if s["entropy"] is not None else 0.0 for s in scores]),
    }
    if selector == "coreset":
        by_image = artefacts.pool_features_load(cycle_id=cycle.id)
        inputs["features"] = np.stack([by_image[s["image_id"]] for s in scores])
        inputs["labelled_features"] = artefacts.labelled_features_load(cycle_id=cycle.id)
    return select(selector, budget=cycle.budget, seed=cycle.id, **inputs)


def _audit_sample(cycle: Cycle, *, pool_size: int, picked: np.ndarray) -> np.ndarray:
    """Pool positions drawn uniformly from the images the strategy did not pick."""
    rest = np.setdiff1d(np.arange(pool_size), picked)
    size = min(audit_size(budget=cycle.budget, fraction=cycle.audit_fraction), len(rest))
    # Its own stream, so that the audit never depends on (or disturbs) the strategy's randomness.
    return np.random.default_rng([cycle.id, 1]).choice(rest, size=size, replace=False)


def _interleaved(picked: np.ndarray, audit: np.ndarray, *, seed: int) -> np.ndarray:
    """The picks in their order, with the audit images at random places among them."""
    total = len(picked) + len(audit)
    slots = np.random.default_rng([seed, 2]).choice(total, size=len(audit), replace=False)
    order = np.empty(total, dtype=np.int64)
    is_audit_slot = np.zeros(total, dtype=bool)
    is_audit_slot[slots] = True
    order[is_audit_slot] = audit
    order[~is_audit_slot] = picked
    return order


def _top_percent(losses: np.ndarray) -> np.ndarray:
    """For each image, the share of the pool (in %) whose predicted loss is at least its own."""
    if not len(losses):
        return losses
    at_least = len(losses) - np.searchsorted(np.sort(losses), losses, side="left")
    return 100.0 * at_least / len(losses)
