"""Heatmaps -> keypoints: argmax, sub-pixel Taylor refinement, and the map back to original pixels."""

import torch

_EPS = 1e-10


def _log_neighbourhood(flat: torch.Tensor, ix: torch.Tensor, iy: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """log of the 3x3 values of flat [B,K,h*w] around (iy, ix) [B,K], edges repeated (replicate padding):
    [B,K,3,3], [..., 1 + dy, 1 + dx] the value at (iy + dy, ix + dx)."""
    h, w = size
    steps = torch.tensor([-1, 0, 1], device=flat.device)
    rows = (iy[..., None] + steps).clamp(0, h - 1)  # [B,K,3]
    columns = (ix[..., None] + steps).clamp(0, w - 1)
    at = rows[..., :, None] * w + columns[..., None, :]  # [B,K,3,3]
    return flat.gather(2, at.flatten(2)).view(at.shape).clamp_min(_EPS).log()


def decode_heatmaps(heatmaps: torch.Tensor, *, scale_to_input: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Argmax of each map refined by one Newton step on the log-heatmap.

    heatmaps [B,K,h,w]; scale_to_input = input_size / heatmap_size (the network stride).
    Returns keypoints [B,K,2] (x, y) in input pixels and maxvals [B,K], the raw peak values.
    A Gaussian's log is quadratic, so one Newton step lands on its exact centre (Zhang et al.,
    DARK); where the local Hessian is not negative definite (flat or noisy maps) it falls back
    to the Simple Baselines quarter-pixel shift toward the higher neighbour.
    """
    _b, _k, h, w = heatmaps.shape
    # Contiguous: the argmax over a channels-last map reads it strided. Only the nine values around each
    # peak are read after that, so only those go through the log.
    flat = heatmaps.detach().float().contiguous().flatten(2)
    maxvals, idx = flat.max(dim=2)
    ix, iy = idx % w, idx // w

    around = _log_neighbourhood(flat, ix, iy, (h, w))

    def at(dx: int, dy: int) -> torch.Tensor:
        return around[..., 1 + dy, 1 + dx]

    c = at(0, 0)
    gx, gy = 0.5 * (at(1, 0) - at(-1, 0)), 0.5 * (at(0, 1) - at(0, -1))
    hxx, hyy = at(1, 0) - 2 * c + at(-1, 0), at(0, 1) - 2 * c + at(0, -1)
    hxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = hxx * hyy - hxy * hxy
    # On the border one neighbour is missing: keep the integer peak, as Simple Baselines does.
    interior = (ix > 0) & (ix < w - 1) & (iy > 0) & (iy < h - 1)
    newton_ok = interior & (hxx < 0) & (det > _EPS)
    safe_det = torch.where(newton_ok, det, torch.ones_like(det))
    quarter = interior.float() * 0.25
    ox = torch.where(newton_ok, -(hyy * gx - hxy * gy) / safe_det, quarter * torch.sign(gx))
    oy = torch.where(newton_ok, -(hxx * gy - hxy * gx) / safe_det, quarter * torch.sign(gy))
    # The true peak lies within half a pixel of the argmax; a larger step means the quadratic is a poor fit.
    offset = torch.stack([ox, oy], dim=-1).clamp(-0.5, 0.5)
    coords = torch.stack([ix, iy], dim=-1).float() + offset
    return (coords + 0.5) * scale_to_input - 0.5, maxvals


def to_original(keypoints: torch.Tensor, transform: torch.Tensor) -> torch.Tensor:
    """Map input-pixel keypoints [B,K,2] back through the inverse of transform [B,2,3] (original -> input)."""
    t = transform.to(torch.float64)
    linear, shift = t[:, :, :2], t[:, :, 2]
    local = keypoints.to(torch.float64) - shift[:, None, :]
    return torch.linalg.solve(linear, local.transpose(1, 2)).transpose(1, 2).to(keypoints.dtype)
