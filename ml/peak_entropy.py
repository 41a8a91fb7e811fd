"""Multi-peak heatmap entropy (Liu & Ferrari, ICCV 2017), as Shukla & Ahmed's experiment code computes it.

Scoring computes it for every crop of the pool, so its cost sits beside the forward's. Maps with no
value above the threshold are left out at the cost of one reduction. Finding the peaks of the others
takes two passes over them (a separable sliding maximum); everything after that visits only the peaks,
a few per map, unless the maps have so many (flat tops, noise) that whole-map passes are cheaper.
"""

import math

import torch
import torch.nn.functional as F

from ml.targets import DEFAULT_PEAK

# The authors' multi-peak entropy: peaks at least 7 heatmap pixels apart and above 7.5 on targets
# that peak at 30, i.e. a quarter of the target peak.
PEAK_MIN_DISTANCE = 7
PEAK_THRESHOLD = 0.25 * DEFAULT_PEAK
# Beyond this many peaks per map on average, the tie-break and the softmax run over whole maps: visiting
# each peak's square costs about (2 min_distance + 1)^2 / 2 reads a peak, a whole-map pass a few per pixel.
_PEAKS_PER_MAP_VISITED = 16


def multipeak_entropy(
    heatmaps: torch.Tensor,
    min_distance: int = PEAK_MIN_DISTANCE,
    threshold: float = PEAK_THRESHOLD,
    exclude_border: bool = True,
) -> torch.Tensor:
    """Multi-peak entropy per image [B] from heatmaps [B, K, H, W] (Liu & Ferrari, ICCV 2017),
    computed as Shukla & Ahmed's experiment code computes it.

    Per joint, the peaks are the pixels that are the maximum of the (2 min_distance + 1)^2 square
    around them (so two peaks are more than min_distance pixels apart, Chebyshev) and above the
    absolute `threshold`; with exclude_border, pixels closer than min_distance to the edge are never
    peaks. This is skimage's peak_local_max(min_distance=7, threshold_abs=7.5) with its defaults, on
    heatmaps whose target peak is 30, as the authors call it. The joint's entropy is that of the
    softmax over its peak values (a joint without peaks gives 0); the image's value is the sum over
    its K joints. So one peak gives 0 and m equal peaks log m per joint.

    Equal maxima within one square (a flat top, common in bf16 heatmaps) count once: the first in
    raster order is kept. skimage also keeps one of them, dropping greedily every peak within
    min_distance of one already kept; the two rules differ only for chains of three or more equal
    peaks each within reach of the next.
    """
    if heatmaps.ndim != 4:
        raise ValueError(f"heatmaps must be [B, K, H, W], got shape {tuple(heatmaps.shape)}")
    batch, joints, height, width = heatmaps.shape
    # One map per row, each copied once: channels-last maps would make every whole-map pass strided.
    maps = heatmaps.detach().float().reshape(batch * joints, 1, height, width).contiguous()
    # A map with nothing above the threshold has no peak, and its joint adds 0: the whole-map passes skip
    # it (the joints a network cannot place, the common case in the images that scoring looks for).
    live = maps.flatten(1).amax(dim=1) > threshold
    entropy = torch.zeros(batch * joints, device=maps.device)
    if live.all():
        entropy = _entropy_per_map(maps, min_distance, threshold, exclude_border)
    elif live.any():
        entropy[live] = _entropy_per_map(maps[live], min_distance, threshold, exclude_border)
    return entropy.view(batch, joints).sum(dim=1)


def _entropy_per_map(maps: torch.Tensor, min_distance: int, threshold: float, exclude_border: bool) -> torch.Tensor:
    """multipeak_entropy's per-joint values [N] for contiguous maps [N, 1, H, W]."""
    is_peak = (maps == _square_max(maps, min_distance)) & (maps > threshold)
    peaks = is_peak.flatten().nonzero().squeeze(1)
    if len(peaks) > _PEAKS_PER_MAP_VISITED * len(maps):
        return _entropy_over_maps(maps, is_peak, min_distance, exclude_border).flatten()
    return _entropy_over_peaks(maps, is_peak, peaks, min_distance, exclude_border).flatten()


def _entropy_over_peaks(
    h: torch.Tensor, is_peak: torch.Tensor, peaks: torch.Tensor, min_distance: int, exclude_border: bool
) -> torch.Tensor:
    """Per-joint entropies [B, K] from the flat indices `peaks` of is_peak's pixels, visiting only those pixels."""
    batch, joints, height, width = h.shape
    peak_map, at = peaks // (height * width), peaks % (height * width)
    y, x = at // width, at % width
    if min_distance > 0:
        # Among the peaks of one square, which are all equal, only the first in raster order counts: a peak
        # goes if another lies in its square earlier in raster order (a row above, or left in its row).
        r = min_distance
        padded_width = width + 2 * r
        marks = F.pad(is_peak.to(torch.uint8), (r, r, r, r))
        earlier = torch.tensor(
            [dy * padded_width + dx for dy in range(-r, 1) for dx in range(-r, r + 1) if dy < 0 or dx < 0],
            device=h.device,
        )
        centre = (peak_map * (height + 2 * r) + y + r) * padded_width + x + r
        first = marks.flatten()[centre[:, None] + earlier[None, :]].amax(dim=1) == 0
        if exclude_border:
            first &= (y >= r) & (y < height - r) & (x >= r) & (x < width - r)
        peaks, peak_map = peaks[first], peak_map[first]
    values = h.flatten()[peaks]
    n_maps = batch * joints
    top = torch.full((n_maps,), -math.inf, device=h.device).scatter_reduce(0, peak_map, values, "amax")
    shifted = values - top[peak_map]
    log_p = shifted - torch.zeros(n_maps, device=h.device).index_add(0, peak_map, shifted.exp()).log()[peak_map]
    per_map = torch.zeros(n_maps, device=h.device).index_add(0, peak_map, -(log_p.exp() * log_p))
    return per_map.view(batch, joints)


def _entropy_over_maps(h: torch.Tensor, is_peak: torch.Tensor, min_distance: int, exclude_border: bool) -> torch.Tensor:
    """Per-joint entropies [B, K] in whole-map passes, for maps with many peaks."""
    # Among the candidates of one square, which are all equal, keep the one with the lowest raster index.
    index = torch.arange(h.shape[-2] * h.shape[-1], device=h.device, dtype=h.dtype).view(h.shape[-2:])
    first = -_square_max(torch.where(is_peak, -index, -math.inf), min_distance)
    is_peak = is_peak & (index == first)
    if exclude_border and min_distance > 0:
        inside = torch.zeros_like(is_peak[0, 0])
        inside[min_distance:-min_distance, min_distance:-min_distance] = True
        is_peak &= inside
    logits = torch.where(is_peak, h, -math.inf).flatten(2)  # [B, K, H*W]
    has_peak = is_peak.flatten(2).any(dim=2, keepdim=True)
    log_p = torch.log_softmax(torch.where(has_peak, logits, 0.0), dim=2)
    return -torch.where(is_peak.flatten(2), log_p.exp() * log_p, 0.0).sum(dim=2)


def _square_max(x: torch.Tensor, radius: int) -> torch.Tensor:
    """The maximum of the (2 radius + 1)^2 square around each pixel of x [B, K, H, W], outside counting as
    -inf: max_pool2d's result with that kernel, stride 1 and padding radius, exactly."""
    return _sliding_max(_sliding_max(x, radius, dim=-1), radius, dim=-2)


def _sliding_max(x: torch.Tensor, radius: int, *, dim: int) -> torch.Tensor:
    """max(x[i - radius], ..., x[i + radius]) along dim, outside counting as -inf.

    By doubling: after step s each entry holds the max of 2^s neighbours, so a window of w costs about
    log2(w) elementwise maxima. max_pool2d compares every pair of the window and, on a CPU, made this
    entropy cost as much as the network's forward when scoring a pool.
    """
    if radius == 0:
        return x
    window = 2 * radius + 1
    padded = F.pad(x.movedim(dim, -1), (radius, radius), value=-math.inf)
    span, spanned = 1, padded  # spanned[i] = max(padded[i : i + span])
    while 2 * span <= window:
        spanned = torch.maximum(spanned[..., :-span], spanned[..., span:])
        span *= 2
    length = x.shape[dim]
    # Two overlapping spans cover the window [i, i + window).
    out = torch.maximum(spanned[..., :length], spanned[..., window - span : window - span + length])
    return out.movedim(-1, dim)
