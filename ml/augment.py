"""Random scale, rotation and horizontal flip as one affine map applied to image and keypoints."""

import math
from dataclasses import dataclass

import numpy as np
import torch

from ml.affine import apply_points, compose, warp_image
from ml.skeletons import Skeleton


@dataclass(frozen=True)
class AugmentConfig:
    scale: float = 0.25  # zoom factor drawn from [1 - scale, 1 + scale]
    rotation: float = 30.0  # degrees, drawn from [-rotation, rotation]
    flip: float = 0.5  # probability of a horizontal flip


def random_affine(size: int, config: AugmentConfig) -> tuple[np.ndarray, bool]:
    """Draw a [2,3] map of the square input onto itself about its centre, and whether it flips.

    Uses torch's global RNG: DataLoader workers then get distinct streams and a checkpoint of the
    torch RNG state replays the same draws.
    """
    u = torch.rand(3).tolist()
    scale = 1.0 + config.scale * (2.0 * u[0] - 1.0)
    angle = math.radians(config.rotation * (2.0 * u[1] - 1.0))
    flipped = u[2] < config.flip
    c = (size - 1) / 2.0
    cos, sin = scale * math.cos(angle), scale * math.sin(angle)
    matrix = np.array([[cos, -sin, c - cos * c + sin * c], [sin, cos, c - sin * c - cos * c]])
    if flipped:
        # x -> (size - 1) - x mirrors pixel centres exactly.
        matrix = compose(np.array([[-1.0, 0.0, size - 1.0], [0.0, 1.0, 0.0]]), matrix)
    return matrix, flipped


def augment(
    image: np.ndarray, keypoints: np.ndarray, visibility: np.ndarray, *, skeleton: Skeleton, config: AugmentConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply one random affine to image [S,S,3] uint8 and keypoints [K,2] (input pixels), visibility [K].

    Returns the warped image, keypoints, visibility and the [2,3] map that was applied. A flip swaps
    each left joint with its right twin, so index k still names the same body part.
    """
    size = image.shape[0]
    matrix, flipped = random_affine(size, config)
    image = warp_image(image, matrix, (size, size))
    keypoints = apply_points(matrix, keypoints)
    if flipped:
        perm = skeleton.flip_permutation()
        keypoints, visibility = keypoints[perm], np.asarray(visibility)[perm]
    return image, keypoints, visibility, matrix
