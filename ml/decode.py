"""Heatmaps -> keypoints: argmax, sub-pixel Taylor refinement, and the map back to original pixels."""

import torch
import torch.nn.functional as F

_EPS = 1e-10


def _neighbours(padded: torch.Tensor, ix: torch.Tensor, iy: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Values of padded [B,K,h+2,w+2] at (iy+dy, ix+dx) for indices [B,K] into the unpadded map."""
    w2 = padded.shape[-1]
    flat = padded.flatten(2)
    return flat.gather(2, ((iy + 1 + dy) * w2 + (ix + 1 + dx)).unsqueeze(-1)).squeeze(-1)


def decode_heatmaps(heatmaps: torch.Tensor, *, scale_to_input: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Argmax of each map refined by one Newton step on the log-heatmap.

    heatmaps [B,K,h,w]; scale_to_input = input_size / heatmap_size (the network stride).
    Returns keypoints [B,K,2] (x, y) in input pixels and maxvals [B,K], the raw peak values.
    A Gaussian's log is quadratic, so one Newton step lands on its exact centre (Zhang et al.,
    DARK); where the local Hessian is not negative definite (flat or noisy maps) it falls back
    to the Simple Baselines quarter-pixel shift toward the higher neighbour.
    """
    _b, _k, h, w = heatmaps.shape
    hm = heatmaps.detach().float()
    maxvals, idx = hm.flatten(2).max(dim=2)
    ix, iy = idx % w, idx // w
    padded = F.pad(hm.clamp_min(_EPS).log(), (1, 1, 1, 1), mode="replicate")

    def at(dx: int, dy: int) -> torch.Tensor:
        return _neighbours(padded, ix, iy, dx, dy)

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
