"""Strategies: the spec table's facts, and the selectors' ordering, determinism, core-set geometry
and peak entropy."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from ml.strategies import (
    DEFAULT_STRATEGY,
    SELECTORS,
    STRATEGY_SPECS,
    StrategySpec,
    multipeak_entropy,
    select,
    strategy_spec,
)
from ml.train import OBJECTIVES


def test_selector_names():
    assert set(SELECTORS) == {"random", "coreset", "learning_loss", "ll_plus_plus", "multipeak_entropy"}


def test_strategy_table_in_menu_order():
    # (name, selector, head objective, head): the baselines train the head like ll_plus_plus, so that
    # their pose networks see the same training.
    assert [(name, s.selector, s.objective, s.head) for name, s in STRATEGY_SPECS.items()] == [
        ("ll_plus_plus", "ll_plus_plus", "ll_plus_plus", "gap"),
        ("ll_plus_plus_conv", "ll_plus_plus", "ll_plus_plus", "conv"),
        ("learning_loss", "learning_loss", "learning_loss", "gap"),
        ("random", "random", "ll_plus_plus", "gap"),
        ("coreset", "coreset", "ll_plus_plus", "gap"),
        ("multipeak_entropy", "multipeak_entropy", "ll_plus_plus", "gap"),
    ]
    assert next(iter(STRATEGY_SPECS)) == DEFAULT_STRATEGY == "ll_plus_plus"


def test_every_spec_names_a_selector_an_objective_and_a_label():
    for name, spec in STRATEGY_SPECS.items():
        assert spec.name == name
        assert spec.selector in SELECTORS
        assert spec.objective in OBJECTIVES
        assert spec.label and spec.label != name
    assert len({spec.label for spec in STRATEGY_SPECS.values()}) == len(STRATEGY_SPECS)


def test_strategy_spec_looks_up_and_names_the_known_ones_on_a_miss():
    assert strategy_spec("ll_plus_plus_conv") == StrategySpec(
        "ll_plus_plus_conv", "ll_plus_plus", "ll_plus_plus", "conv", "LL++ with the multi-scale conv head"
    )
    with pytest.raises(KeyError, match=r"badge.*ll_plus_plus_conv.*multipeak_entropy"):
        strategy_spec("badge")


def test_specs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        strategy_spec("random").head = "conv"


def test_random_is_a_seeded_distinct_sample():
    losses = np.zeros(50)
    first = select("random", budget=20, predicted_loss=losses, seed=3)
    assert first.dtype == np.int64
    assert len(set(first.tolist())) == 20
    np.testing.assert_array_equal(first, select("random", budget=20, predicted_loss=losses, seed=3))
    assert not np.array_equal(first, select("random", budget=20, predicted_loss=losses, seed=4))


@pytest.mark.parametrize("name", ["learning_loss", "ll_plus_plus"])
def test_loss_strategies_rank_by_predicted_loss_with_index_tiebreak(name):
    losses = np.array([0.1, 0.9, 0.5, 0.9, 0.2])
    np.testing.assert_array_equal(select(name, budget=4, predicted_loss=losses), [1, 3, 2, 4])


def test_entropy_strategy_ranks_by_entropy():
    entropy = np.array([0.0, 2.0, 1.0])
    np.testing.assert_array_equal(select("multipeak_entropy", budget=3, heatmap_entropy=entropy), [1, 2, 0])


def test_budget_is_clipped_to_the_pool():
    assert len(select("ll_plus_plus", budget=10, predicted_loss=np.arange(3.0))) == 3
    assert len(select("random", budget=0, predicted_loss=np.arange(3.0))) == 0


def test_coreset_picks_the_farthest_points():
    labelled = np.array([[0.0, 0.0]])
    pool = np.array([[1.0, 0.0], [10.0, 0.0], [0.0, 5.0], [9.0, 1.0], [0.0, 6.0]])
    # (10, 0) is farthest from the origin; then (0, 6) at 6 beats (0, 5) at 5; then
    # (9, 1) at sqrt(2) from (10, 0) beats (1, 0) and (0, 5), both at 1.
    chosen = select("coreset", budget=3, features=pool, labelled_features=labelled)
    np.testing.assert_array_equal(chosen, [1, 4, 3])


def test_coreset_without_labelled_points_starts_from_a_seeded_point():
    pool = np.random.default_rng(0).standard_normal((40, 3))
    a = select("coreset", budget=10, features=pool, seed=1)
    assert len(set(a.tolist())) == 10
    np.testing.assert_array_equal(a, select("coreset", budget=10, features=pool, seed=1))
    # the second pick is the farthest point from the first
    distances = np.linalg.norm(pool - pool[a[0]], axis=1)
    assert a[1] == int(np.argmax(distances))


def test_coreset_never_repeats_on_duplicate_points():
    pool = np.ones((5, 4))
    chosen = select("coreset", budget=5, features=pool, labelled_features=pool[:1])
    assert sorted(chosen.tolist()) == [0, 1, 2, 3, 4]


def test_missing_inputs_name_what_is_needed():
    with pytest.raises(ValueError, match="predicted_loss"):
        select("ll_plus_plus", budget=3, features=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="features"):
        select("coreset", budget=3, predicted_loss=np.zeros(4))
    with pytest.raises(ValueError, match="pool size"):
        select("random", budget=3)


def test_mismatched_pool_sizes_are_rejected():
    with pytest.raises(ValueError, match="disagree"):
        select("random", budget=1, predicted_loss=np.zeros(3), heatmap_entropy=np.zeros(4))


def test_nan_scores_are_rejected():
    with pytest.raises(ValueError, match="finite"):
        select("learning_loss", budget=1, predicted_loss=np.array([0.1, np.nan]))


def test_unknown_selector_lists_the_known_ones():
    with pytest.raises(KeyError, match="ll_plus_plus"):
        select("badge", budget=1, predicted_loss=np.zeros(2))


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


@pytest.mark.parametrize("min_distance", [0, 1, 3, 7])
def test_peaks_are_the_maxima_of_their_square_as_max_pool_finds_them(min_distance):
    """The square maxima come from a faster sliding maximum; they must be max_pool2d's, ties and edges included."""
    generator = torch.Generator().manual_seed(min_distance)
    heatmaps = (torch.rand(3, 4, 13, 24, generator=generator) * 12).round()  # many equal maxima
    size = 2 * min_distance + 1
    pooled = torch.nn.functional.max_pool2d(heatmaps, size, stride=1, padding=min_distance)
    is_peak = (heatmaps == pooled) & (heatmaps > 7.5)
    index = torch.arange(13 * 24, dtype=heatmaps.dtype).view(13, 24)
    candidates = torch.where(is_peak, -index, -math.inf)
    is_peak &= index == -torch.nn.functional.max_pool2d(candidates, size, stride=1, padding=min_distance)
    logits = torch.where(is_peak, heatmaps, -math.inf).flatten(2)
    log_p = torch.log_softmax(torch.where(is_peak.flatten(2).any(2, keepdim=True), logits, 0.0), dim=2)
    expected = -torch.where(is_peak.flatten(2), log_p.exp() * log_p, 0.0).sum(dim=2).sum(dim=1)
    actual = multipeak_entropy(heatmaps, min_distance=min_distance, exclude_border=False)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)
