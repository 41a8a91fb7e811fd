"""Gaussian heatmap targets (peak 30, sigma 1.75 heatmap pixels, as the LearningLoss++ authors)."""

import numpy as np
import torch

DEFAULT_SIGMA = 1.75
# The authors scale targets to 30: with peak 1 the per-pixel MSE is so small the network barely learns.
DEFAULT_PEAK = 30.0


def input_to_heatmap(points: np.ndarray, *, input_size: int, heatmap_size: int) -> np.ndarray:
    """Map input-pixel coordinates [..., 2] to heatmap-pixel coordinates (pixel centres at integers)."""
    return (np.asarray(points, dtype=np.float64) + 0.5) * (heatmap_size / input_size) - 0.5


def make_heatmaps(
    keypoints,
    visibility,
    *,
    input_size: int,
    heatmap_size: int,
    sigma: float = DEFAULT_SIGMA,
    peak: float = DEFAULT_PEAK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Render one image's targets.

    keypoints [K,2] in input pixels, visibility [K] (COCO: 2 visible, 1 occluded, 0 unlabelled).
    Returns heatmaps float32 [K,h,w] (un-truncated Gaussian centred at the sub-pixel position, so a
    decoder can recover it exactly) and weight float32 [K]: 1 for labelled joints inside the heatmap.
    """
    kp = input_to_heatmap(np.asarray(keypoints), input_size=input_size, heatmap_size=heatmap_size)
    vis = np.asarray(visibility)
    inside = (kp >= -0.5).all(axis=1) & (kp < heatmap_size - 0.5).all(axis=1) & np.isfinite(kp).all(axis=1)
    weight = ((vis > 0) & inside).astype(np.float32)
    grid = np.arange(heatmap_size, dtype=np.float64)
    kp = np.where(weight[:, None] > 0, kp, 0.0)
    gx = np.exp(-((grid[None, :] - kp[:, :1]) ** 2) / (2 * sigma**2))
    gy = np.exp(-((grid[None, :] - kp[:, 1:]) ** 2) / (2 * sigma**2))
    heatmaps = peak * gy[:, :, None] * gx[:, None, :] * weight[:, None, None]
    return torch.from_numpy(heatmaps.astype(np.float32)), torch.from_numpy(weight)
