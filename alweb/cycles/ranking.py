"""The selecting phase's work: rank the scored pool the cycle's strategy's way into queue entries.

It reads and computes; the pipeline hands the entries to the service that fills the queue.
"""

import numpy as np

from alweb.cycles import artefacts
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.selectors import unlabelled_pool
from ml.strategies import select, strategy_spec


def selection_entries(*, cycle: Cycle, version: ModelVersion) -> list[dict]:
    """The cycle's selection as queue entries: image_id, rank (1 first), predicted_loss, keypoints [[x, y, c]]."""
    scores = list(
        Score.objects.filter(model_version=version, image__in=unlabelled_pool(project=cycle.project))
        .order_by("image_id")
        .values("image_id", "predicted_loss", "entropy", "keypoints", "confidence")
    )
    order = _ranked(cycle, scores)
    return [
        {
            "image_id": scores[i]["image_id"],
            "rank": rank,
            "predicted_loss": scores[i]["predicted_loss"],
            "keypoints": [
                [x, y, c] for (x, y), c in zip(scores[i]["keypoints"], scores[i]["confidence"], strict=True)
            ],
        }
        for rank, i in enumerate(order, start=1)
    ]


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
