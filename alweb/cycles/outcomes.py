"""Did the ranking find the failures? The work of measuring a labelled selection against its cycle's model.

It reads and computes; the pipeline stores the outcome and the cycle's metrics.
"""

from dataclasses import dataclass

import numpy as np

from alweb.cycles import artefacts
from alweb.cycles.evaluation import evaluate_labelled
from alweb.cycles.labelled_data import labelled_set, project_skeleton
from alweb.cycles.models import ModelVersion
from alweb.images.models import Image
from alweb.queue.models import QueueEntry
from ml.metrics import kendall, spearman


@dataclass(frozen=True)
class Outcome:
    realized_loss: float  # the heatmap loss of the cycle's model against the human label
    pck: float | None  # PCK@0.2 of the model's prediction; None when the label has no scale


def outcome_measure(*, entry: QueueEntry) -> Outcome | None:
    """Compare the cycle's model with the human label of one selected image; None if either is missing."""
    version = ModelVersion.objects.filter(cycle_id=entry.cycle_id).first()
    if version is None or not version.checkpoint:
        return None
    images = Image.objects.filter(pk=entry.image_id, annotation__isnull=False).select_related("annotation")
    if not images.exists():
        return None
    skeleton = project_skeleton(entry.cycle.project)
    model = artefacts.cached_model(version.checkpoint.name)
    data = labelled_set(images, num_keypoints=skeleton.num_keypoints)
    scores, pck = evaluate_labelled(model, data, skeleton=skeleton, device=artefacts.worker_device())
    return Outcome(realized_loss=float(scores.true_loss[0]), pck=None if np.isnan(pck[0]) else float(pck[0]))


def selection_metrics(*, cycle_id: int) -> dict:
    """PCK of the labelled selected images and the predicted-vs-realized loss correlations over them."""
    rows = list(
        QueueEntry.objects.filter(cycle_id=cycle_id, realized_loss__isnull=False).values_list(
            "predicted_loss", "realized_loss", "pck"
        )
    )
    predicted = np.array([r[0] for r in rows], dtype=np.float64)
    realized = np.array([r[1] for r in rows], dtype=np.float64)
    pcks = np.array([r[2] for r in rows if r[2] is not None], dtype=np.float64)
    return {
        "labelled": len(rows),
        "pck_selected": _finite(np.mean(pcks)) if len(pcks) else None,
        "spearman": _finite(spearman(predicted, realized)),
        "kendall": _finite(kendall(predicted, realized)),
    }


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
