"""2x3 affine maps between pixel frames (pixel centres at integer coordinates)."""

import numpy as np
from PIL import Image


def to_3x3(matrix: np.ndarray) -> np.ndarray:
    """[2,3] -> [3,3] homogeneous."""
    return np.vstack([np.asarray(matrix, dtype=np.float64), [0.0, 0.0, 1.0]])


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Map that applies `inner` first, then `outer`; both and the result are [2,3]."""
    return (to_3x3(outer) @ to_3x3(inner))[:2]


def invert(matrix: np.ndarray) -> np.ndarray:
    """[2,3] -> [2,3] inverse map."""
    return np.linalg.inv(to_3x3(matrix))[:2]


def apply_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map points [..., 2] through a [2,3] matrix."""
    points = np.asarray(points, dtype=np.float64)
    m = np.asarray(matrix, dtype=np.float64)
    return points @ m[:, :2].T + m[:, 2]


def warp_image(image: np.ndarray | Image.Image, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample image [H,W,3] uint8 (or an RGB Pillow image) so that source pixel p lands on matrix @ p;
    returns [h,w,3] uint8.

    size is (h, w). Pixels mapped from outside the source are black, like the letterbox pad.
    """
    out_h, out_w = size
    # Pillow pulls each output pixel from the source, so it wants the inverse map, and it measures
    # from pixel corners: u = p + 0.5. In corner coordinates u_src = L u_out + (t + 0.5 - 0.5 L 1).
    inverse = invert(matrix)
    linear, shift = inverse[:, :2], inverse[:, 2]
    corner_shift = shift + 0.5 - 0.5 * linear.sum(axis=1)
    coefficients = (linear[0, 0], linear[0, 1], corner_shift[0], linear[1, 0], linear[1, 1], corner_shift[1])
    source = image if isinstance(image, Image.Image) else Image.fromarray(image)
    warped = source.transform((out_w, out_h), Image.AFFINE, coefficients, resample=Image.BILINEAR)
    return np.asarray(warped)
