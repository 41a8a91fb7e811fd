"""2x3 affine maps between pixel frames (pixel centres at integer coordinates)."""
import numpy as np
import torch
import torch.nn.functional as F


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


def _pixel_to_normalised(width: int, height: int) -> np.ndarray:
    """[3,3] map from pixel centres to grid_sample's [-1, 1] frame (align_corners=False)."""
    return np.array([[2.0 / width, 0.0, 1.0 / width - 1.0],
                     [0.0, 2.0 / height, 1.0 / height - 1.0],
                     [0.0, 0.0, 1.0]])


def warp_image(image: torch.Tensor, matrix: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """Resample image [C,H,W] float so that source pixel p lands on matrix @ p; returns [C,h,w].

    size is (h, w). Pixels mapped from outside the source are zero (black, like the letterbox pad).
    """
    _, src_h, src_w = image.shape
    out_h, out_w = size
    # grid_sample pulls: for every output pixel it needs the source position, so invert.
    dest_to_src = np.linalg.inv(to_3x3(matrix))
    theta = _pixel_to_normalised(src_w, src_h) @ dest_to_src @ np.linalg.inv(_pixel_to_normalised(out_w, out_h))
    theta_t = torch.as_tensor(theta[:2], dtype=image.dtype)[None]
    grid = F.affine_grid(theta_t, [1, image.shape[0], out_h, out_w], align_corners=False)
    return F.grid_sample(image[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
