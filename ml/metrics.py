"""Pose accuracy (PCK, PCKh, the LSP torso normaliser and its fallback) and rank correlations.

Keypoint arrays are [N, K, 2] (x, y in pixels), visibility is [N, K] in the COCO
convention (0 unlabelled, 1 occluded, 2 visible); only joints with v > 0 are scored.
"""

import numpy as np
from scipy import stats

from ml.skeletons import Skeleton


def per_image_pck(
    pred: np.ndarray, gt: np.ndarray, visibility: np.ndarray, normaliser: np.ndarray, alpha: float
) -> np.ndarray:
    """Fraction of each image's labelled joints within alpha * normaliser of the truth, [N].

    A distance exactly equal to the threshold counts as correct. Images with no labelled
    joint, or whose normaliser is not finite (e.g. an unlabelled torso), get NaN.
    """
    correct, labelled = _correct_and_labelled(pred, gt, visibility, normaliser, alpha)
    n_labelled = labelled.sum(axis=1)
    scores = np.full(len(n_labelled), np.nan)
    scored = n_labelled > 0
    scores[scored] = correct[scored].sum(axis=1) / n_labelled[scored]
    return scores


def pck(pred: np.ndarray, gt: np.ndarray, visibility: np.ndarray, normaliser: np.ndarray, alpha: float) -> float:
    """Fraction of all labelled joints within alpha * normaliser, pooled over images.

    Pooling over joints (not averaging per-image scores) is the usual LSP/MPII figure;
    images that per_image_pck scores NaN contribute no joint. NaN if no joint is scored.
    """
    correct, labelled = _correct_and_labelled(pred, gt, visibility, normaliser, alpha)
    n_labelled = int(labelled.sum())
    return float(correct.sum() / n_labelled) if n_labelled else float("nan")


def pckh(pred: np.ndarray, gt: np.ndarray, visibility: np.ndarray, head_size: np.ndarray, alpha: float = 0.5) -> float:
    """PCKh: PCK normalised by each person's head size [N].

    ml.datasets.mpii gives the standard MPII head size, 0.6 x the head-box diagonal; here the
    standard is followed, not the authors' code, which normalises by the full diagonal.
    """
    return pck(pred, gt, visibility, head_size, alpha)


def torso_size(gt: np.ndarray, visibility: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """LSP torso size per image [N]: the larger of the two shoulder-hip diagonals (left shoulder to
    right hip, right shoulder to left hip), as Shukla & Ahmed's evaluation code takes it.

    The usual torso diameter (Toshev & Szegedy's DeepPose, and many LSP PCK@0.2 tables after it) is
    the left shoulder to the right hip alone; the larger diagonal is never shorter, so its PCK is
    never lower. When one diagonal misses a joint the other one is used (the authors' code reads
    unlabelled joints as they are); when both do, the size is NaN and the image drops out of PCK.
    Works for any skeleton naming its joints l-/r- or left_/right_.
    """
    gt = np.asarray(gt, dtype=np.float64)
    visibility = np.asarray(visibility)
    left_to_right = _diagonal(gt, visibility, skeleton, shoulder="left", hip="right")
    right_to_left = _diagonal(gt, visibility, skeleton, shoulder="right", hip="left")
    # fmax takes the other value where one is NaN, and gives NaN only where both are.
    return np.fmax(left_to_right, right_to_left)


def pck_normaliser(gt: np.ndarray, visibility: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """PCK normaliser per image [N]: `torso_size` where the skeleton names both shoulders and
    both hips, else the extent of each image's labelled points.

    The extent is the longer side of the labelled points' bounding box, NaN for fewer than two
    labelled points; it lets a project with its own skeleton (a hand, an animal) still get a
    PCK that scales with the object. The choice is per skeleton, not per image: an image whose
    torso is unlabelled keeps torso_size's NaN, so one figure never mixes two normalisers.
    """
    joints = [_find_joint(skeleton, side, part) for side in ("left", "right") for part in ("shoulder", "hip")]
    if None in joints:
        return _labelled_extent(gt, visibility)
    return torso_size(gt, visibility, skeleton)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation; NaN for fewer than 2 values, constant input or any NaN."""
    a, b = _paired(a, b)
    if _degenerate(a, b):
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def kendall(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b (ties corrected); NaN for fewer than 2 values, constant input or any NaN."""
    a, b = _paired(a, b)
    if _degenerate(a, b):
        return float("nan")
    return float(stats.kendalltau(a, b).statistic)


def _correct_and_labelled(pred, gt, visibility, normaliser, alpha) -> tuple[np.ndarray, np.ndarray]:
    """Boolean [N, K] masks: joint within threshold (and scored), joint scored."""
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    visibility = np.asarray(visibility)
    normaliser = np.asarray(normaliser, dtype=np.float64)
    if pred.shape != gt.shape or gt.shape[:2] != visibility.shape or normaliser.shape != gt.shape[:1]:
        raise ValueError(
            f"shapes disagree: pred {pred.shape}, gt {gt.shape}, "
            f"visibility {visibility.shape}, normaliser {normaliser.shape}"
        )
    distance = np.sqrt(((pred - gt) ** 2).sum(axis=-1))
    labelled = (visibility > 0) & np.isfinite(normaliser)[:, None]
    correct = labelled & (distance <= alpha * normaliser[:, None])
    return correct, labelled


def _diagonal(gt, visibility, skeleton: Skeleton, *, shoulder: str, hip: str) -> np.ndarray:
    """Distance from the `shoulder`-side shoulder to the `hip`-side hip, NaN where unlabelled."""
    s = _joint_index(skeleton, shoulder, "shoulder")
    h = _joint_index(skeleton, hip, "hip")
    distance = np.linalg.norm(gt[:, s] - gt[:, h], axis=-1)
    both_labelled = (visibility[:, s] > 0) & (visibility[:, h] > 0)
    return np.where(both_labelled, distance, np.nan)


def _joint_index(skeleton: Skeleton, side: str, part: str) -> int:
    index = _find_joint(skeleton, side, part)
    if index is None:
        raise ValueError(f"skeleton has no {side} {part}: {skeleton.keypoints}")
    return index


def _find_joint(skeleton: Skeleton, side: str, part: str) -> int | None:
    """Index of e.g. the left shoulder under LSP ("l-shoulder") or COCO ("left_shoulder") naming."""
    for name in (f"{side[0]}-{part}", f"{side}_{part}"):
        if name in skeleton.keypoints:
            return skeleton.keypoints.index(name)
    return None


def _labelled_extent(gt: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Longer side of each image's labelled points' bounding box [N]; NaN under two labelled points."""
    gt = np.asarray(gt, dtype=np.float64)
    labelled = (np.asarray(visibility) > 0)[..., None]
    # Unlabelled joints get +-inf so that they never set the box; an image without labelled
    # joints ends up with -inf, replaced by NaN below like one with a single joint.
    upper = np.where(labelled, gt, -np.inf).max(axis=1)
    lower = np.where(labelled, gt, np.inf).min(axis=1)
    extent = (upper - lower).max(axis=-1)
    return np.where(labelled.sum(axis=(1, 2)) > 1, extent, np.nan)


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"need paired values, got {a.shape} and {b.shape}")
    return a, b


def _degenerate(a: np.ndarray, b: np.ndarray) -> bool:
    """True when a correlation is undefined: too few values, a constant side or a NaN."""
    if len(a) < 2 or np.isnan(a).any() or np.isnan(b).any():
        return True
    return bool(np.all(a == a[0]) or np.all(b == b[0]))
