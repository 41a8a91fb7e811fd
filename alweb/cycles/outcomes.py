"""Did the ranking find the failures? The work of measuring a labelled selection against its cycle's model.

It reads and computes; the pipeline stores the outcome and the cycle's metrics.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from alweb.cycles import artefacts
from alweb.cycles.evaluation import evaluate_labelled
from alweb.cycles.labelled_data import labelled_set, project_skeleton
from alweb.cycles.models import ModelVersion
from alweb.images.models import Image
from alweb.queue.models import QueueEntry
from ml.metrics import kendall, spearman

# A mean and its interval need at least two measured images.
MIN_GROUP = 2


@dataclass(frozen=True)
class Outcome:
    realized_loss: float  # the heatmap loss of the cycle's model against the human label, worst instance
    pck: float | None  # mean PCK@0.2 of the model over the label's instances; None when none has a scale


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
    if not data.image_ids:
        # No person with a labelled point ("No people"): nothing the model could have got wrong.
        return None
    scores, pck = evaluate_labelled(model, data, skeleton=skeleton, device=artefacts.worker_device())
    # Instance by instance on the annotator's boxes; the image counts as its worst instance,
    # as its priority was its highest predicted loss.
    measured = pck[~np.isnan(pck)]
    return Outcome(realized_loss=float(scores.true_loss.max()), pck=float(measured.mean()) if len(measured) else None)


def selection_metrics(*, cycle_id: int) -> dict:
    """What the labelled part of the cycle's queue says about its ranking.

    PCK of the selected images and of the audit sample (mean with a 95 % t interval each), the
    verdict of Welch's interval for their difference, and the rank correlations of predicted and
    realized loss over every measured image (the audit sample widens the range they are taken over).
    """
    rows = list(
        QueueEntry.objects.filter(cycle_id=cycle_id, realized_loss__isnull=False).values_list(
            "predicted_loss", "realized_loss", "pck", "is_audit"
        )
    )
    predicted = np.array([r[0] for r in rows], dtype=np.float64)
    realized = np.array([r[1] for r in rows], dtype=np.float64)
    selected = np.array([r[2] for r in rows if r[2] is not None and not r[3]], dtype=np.float64)
    audit = np.array([r[2] for r in rows if r[2] is not None and r[3]], dtype=np.float64)
    return {
        "labelled": sum(not r[3] for r in rows),
        "audit_labelled": sum(r[3] for r in rows),
        "pck_selected": _finite(np.mean(selected)) if len(selected) else None,
        "pck_selected_ci": _mean_interval(selected),
        "pck_audit": _finite(np.mean(audit)) if len(audit) else None,
        "pck_audit_ci": _mean_interval(audit),
        "ranking_verdict": ranking_verdict(selected=selected, audit=audit),
        "spearman": _finite(spearman(predicted, realized)),
        "kendall": _finite(kendall(predicted, realized)),
    }


def ranking_verdict(*, selected: np.ndarray, audit: np.ndarray) -> str:
    """Did the ranking pick images the model gets wrong, against the audit sample's PCK?

    "found": the selected images' PCK is lower, and the 95 % interval of the difference excludes 0;
    "not_found": it is higher, likewise; "unclear": the interval holds 0; "too_few": fewer than two
    measured images in a group.
    """
    if len(selected) < MIN_GROUP or len(audit) < MIN_GROUP:
        return "too_few"
    if np.ptp(np.concatenate([selected, audit])) == 0:
        return "unclear"
    low, high = stats.ttest_ind(audit, selected, equal_var=False).confidence_interval(0.95)
    if low > 0:
        return "found"
    if high < 0:
        return "not_found"
    return "unclear"


def _mean_interval(values: np.ndarray) -> list[float] | None:
    if len(values) < MIN_GROUP:
        return None
    if np.ptp(values) == 0:
        return [_finite(values[0]), _finite(values[0])]
    low, high = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    return [_finite(max(low, 0.0)), _finite(min(high, 1.0))]


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
