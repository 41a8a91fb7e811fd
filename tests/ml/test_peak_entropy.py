"""Multi-peak heatmap entropy: the authors' peaks, their softmax, and the two ways of computing it agreeing."""

import math

import pytest
import torch

from ml.peak_entropy import multipeak_entropy


def _joint(*peaks: tuple[int, int, float], size: int = 32) -> torch.Tensor:
    """One joint's heatmap [size, size] with single-pixel peaks (y, x, value) on zero."""
    heatmap = torch.zeros(size, size)
    for y, x, value in peaks:
        heatmap[y, x] = value
    return heatmap


def _entropy(*joints: torch.Tensor, **kwargs) -> float:
    return multipeak_entropy(torch.stack(joints)[None], **kwargs).item()


def _softmax_entropy(*values: float) -> float:
    p = torch.softmax(torch.tensor(values), dim=0)
    return float(-(p * p.log()).sum())


def test_entropy_of_one_peak_is_zero_and_of_two_equal_far_peaks_log_two():
    assert multipeak_entropy(_joint((10, 10, 20.0))[None, None]).shape == (1,)
    assert _entropy(_joint((10, 10, 20.0))) == pytest.approx(0.0)
    assert _entropy(_joint((10, 10, 20.0), (20, 22, 20.0))) == pytest.approx(math.log(2))


def test_entropy_is_the_softmax_over_peak_values():
    # The authors' softmax: heights 10 and 9 are far from the 10 : 9 a normalisation would give.
    assert _entropy(_joint((10, 10, 10.0), (20, 22, 9.0))) == pytest.approx(_softmax_entropy(10.0, 9.0), rel=1e-5)


def test_peaks_closer_than_seven_pixels_count_once():
    # 7 pixels apart (Chebyshev) is within the 15 x 15 square: only the higher peak counts.
    assert _entropy(_joint((10, 10, 20.0), (17, 12, 19.0))) == pytest.approx(0.0)
    assert _entropy(_joint((10, 10, 20.0), (18, 12, 19.0))) == pytest.approx(_softmax_entropy(20.0, 19.0), rel=1e-5)
    # A flat top, as bf16 rounding makes them: equal neighbours are one peak, not two.
    assert _entropy(_joint((10, 10, 20.0), (10, 11, 20.0))) == pytest.approx(0.0)


def test_peaks_at_or_below_the_threshold_are_ignored():
    # The authors' threshold: 7.5, a quarter of the target peak of 30.
    assert _entropy(_joint((10, 10, 20.0), (20, 22, 7.5))) == pytest.approx(0.0)
    assert _entropy(_joint((10, 10, 8.0), (20, 22, 7.6))) == pytest.approx(_softmax_entropy(8.0, 7.6), rel=1e-5)
    assert _entropy(_joint((10, 10, 7.0))) == 0.0
    assert _entropy(_joint((10, 10, 0.2), (20, 22, 0.2)), threshold=0.1) == pytest.approx(math.log(2))


def test_peaks_near_the_border_are_ignored_like_skimage_does():
    near_edge = _joint((10, 10, 20.0), (3, 20, 20.0), (20, 25, 20.0))  # rows/columns < 7 or >= 32 - 7
    assert _entropy(near_edge) == pytest.approx(0.0)
    assert _entropy(near_edge, exclude_border=False) == pytest.approx(math.log(3))


def test_entropy_sums_over_joints():
    one, two = _joint((10, 10, 20.0)), _joint((10, 10, 20.0), (20, 22, 20.0))
    three = _joint((8, 8, 20.0), (8, 20, 20.0), (20, 14, 20.0))
    assert _entropy(one, two, three) == pytest.approx(math.log(2) + math.log(3))


def test_entropy_of_gaussian_blobs_at_the_target_scale():
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")

    def blob(cy, cx):
        return 30 * torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * 1.75**2))

    single = blob(20.3, 32.6)[None, None]
    # The same sub-pixel offset: equal maxima. The softmax over values near 30 is sharp, so blobs
    # whose maxima differ by a few units would read as one.
    double = (blob(20.2, 20.1) + blob(44.2, 43.1))[None, None]
    assert multipeak_entropy(torch.cat([single, double])).tolist() == pytest.approx([0.0, math.log(2)], abs=1e-3)
    assert multipeak_entropy(torch.cat([single, double]).bfloat16()).tolist() == pytest.approx(
        [0.0, math.log(2)], abs=1e-3
    )


def test_all_zero_heatmap_contributes_zero():
    assert multipeak_entropy(torch.zeros(2, 3, 32, 32)).tolist() == [0.0, 0.0]


def _reference_entropy(heatmaps: torch.Tensor, min_distance: int, exclude_border: bool) -> torch.Tensor:
    """The definition in whole-map passes with max_pool2d, as the authors' code reads."""
    size, (height, width) = 2 * min_distance + 1, heatmaps.shape[-2:]
    pooled = torch.nn.functional.max_pool2d(heatmaps, size, stride=1, padding=min_distance)
    is_peak = (heatmaps == pooled) & (heatmaps > 7.5)
    index = torch.arange(height * width, dtype=heatmaps.dtype).view(height, width)
    candidates = torch.where(is_peak, -index, -math.inf)
    is_peak &= index == -torch.nn.functional.max_pool2d(candidates, size, stride=1, padding=min_distance)
    if exclude_border and min_distance > 0:
        inside = torch.zeros(height, width, dtype=torch.bool)
        inside[min_distance:-min_distance, min_distance:-min_distance] = True
        is_peak &= inside
    logits = torch.where(is_peak, heatmaps, -math.inf).flatten(2)
    log_p = torch.log_softmax(torch.where(is_peak.flatten(2).any(2, keepdim=True), logits, 0.0), dim=2)
    return -torch.where(is_peak.flatten(2), log_p.exp() * log_p, 0.0).sum(dim=2).sum(dim=1)


@pytest.mark.parametrize("exclude_border", [False, True])
@pytest.mark.parametrize("spikes", [0.03, 1.0], ids=["few-peaks", "many-peaks"])
@pytest.mark.parametrize("min_distance", [0, 1, 3, 7])
def test_peaks_are_the_maxima_of_their_square_as_max_pool_finds_them(min_distance, spikes, exclude_border):
    """The square maxima come from a faster sliding maximum, and maps with few peaks visit only those: both
    must give max_pool2d's peaks, ties and edges included, whichever way the maps are laid out."""
    generator = torch.Generator().manual_seed(min_distance)
    heights = (torch.rand(3, 4, 32, 40, generator=generator) * 12).round()  # many equal maxima
    heatmaps = heights * (torch.rand(3, 4, 32, 40, generator=generator) < spikes)
    expected = _reference_entropy(heatmaps, min_distance, exclude_border)
    for layout in (heatmaps, heatmaps.contiguous(memory_format=torch.channels_last)):
        actual = multipeak_entropy(layout, min_distance=min_distance, exclude_border=exclude_border)
        torch.testing.assert_close(actual, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dead", [[], [0], [1, 5], list(range(12))], ids=["none", "one", "some", "all"])
def test_maps_without_a_value_above_the_threshold_add_nothing_beside_the_others(dead):
    """Maps no value of which reaches the threshold skip the peak search; the rest still count in full."""
    generator = torch.Generator().manual_seed(len(dead))
    heatmaps = (torch.rand(3, 4, 32, 32, generator=generator) * 12).round()
    heatmaps *= torch.rand(3, 4, 32, 32, generator=generator) < 0.05
    heatmaps.view(12, 32, 32)[dead] *= 0.6  # heights below 12 * 0.6 = 7.2, under the threshold of 7.5
    expected = _reference_entropy(heatmaps, 7, True)
    torch.testing.assert_close(multipeak_entropy(heatmaps), expected, rtol=1e-6, atol=1e-6)
    assert expected.sum() > 0 or len(dead) == 12
