"""The selecting phase: rank the scored pool with the cycle's strategy and fill the queue."""
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.scoring import pool_features
from alweb.cycles.selectors import unlabelled_pool
from alweb.cycles.services import cycle_move
from alweb.cycles.strategies import STRATEGY_CHOICES
from alweb.cycles.training import labelled_features_load
from alweb.queue.services import queue_fill
from ml.strategies import select

State = Cycle.State


def cycle_select(*, cycle_id: int) -> bool:
    """Select the cycle's images and make its model the active one; exactly once per cycle."""
    if not cycle_move(cycle_id=cycle_id, from_state=State.SCORING, to_state=State.SELECTING,
                      lease_expires_at=timezone.now() + timedelta(seconds=settings.CYCLE_LEASE_SECONDS)):
        return False
    return cycle_finish_selection(cycle_id=cycle_id)


def cycle_finish_selection(*, cycle_id: int) -> bool:
    """Do the selection of a cycle in the selecting state, in one transaction."""
    cycle = Cycle.objects.select_related("project").get(pk=cycle_id)
    version = ModelVersion.objects.get(cycle=cycle)
    scores = list(
        Score.objects.filter(model_version=version, image__in=unlabelled_pool(project=cycle.project))
        .order_by("image_id")
        .values("image_id", "predicted_loss", "entropy", "keypoints", "confidence")
    )
    order = _ranked(cycle, scores)
    entries = [
        {
            "image_id": scores[i]["image_id"], "rank": rank, "predicted_loss": scores[i]["predicted_loss"],
            "keypoints": [[x, y, c] for (x, y), c in zip(scores[i]["keypoints"], scores[i]["confidence"])],
        }
        for rank, i in enumerate(order, start=1)
    ]
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle_id)
        if locked.state != State.SELECTING:
            return False
        queue_fill(cycle=cycle, entries=entries)
        ModelVersion.objects.filter(project=cycle.project, is_active=True).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
        metrics = {**locked.metrics, "val_pck": version.metrics.get("val_pck"), "selected": len(entries)}
        cycle_move(cycle_id=cycle_id, from_state=State.SELECTING, to_state=State.READY, metrics=metrics,
                   progress={**locked.progress, "phase": "ready"}, lease_owner="", lease_expires_at=None)
    return True


def _ranked(cycle: Cycle, scores: list[dict]) -> np.ndarray:
    """Pool positions in selection order, the strategy's way."""
    if not scores:
        return np.zeros(0, dtype=np.int64)
    choice = STRATEGY_CHOICES[cycle.strategy]
    inputs = {
        "predicted_loss": np.array([s["predicted_loss"] for s in scores]),
        "heatmap_entropy": np.array([s["entropy"] if s["entropy"] is not None else 0.0 for s in scores]),
    }
    if choice.ml_strategy == "coreset":
        by_image = pool_features(cycle_id=cycle.id)
        inputs["features"] = np.stack([by_image[s["image_id"]] for s in scores])
        inputs["labelled_features"] = labelled_features_load(cycle.id)
    return select(choice.ml_strategy, budget=cycle.budget, seed=cycle.id, **inputs)
