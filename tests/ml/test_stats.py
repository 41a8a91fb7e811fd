import math

import numpy as np
import pytest
from scipy import stats

from ml.stats import describe, labels_to_reach, mean_ci, paired_difference, wilcoxon_p


def test_paired_difference_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.3, 0.1, 8), rng.normal(0.2, 0.1, 8)
    d = paired_difference(a, b)
    diff = a - b
    low, high = stats.t.interval(0.95, len(diff) - 1, loc=diff.mean(), scale=stats.sem(diff))
    assert (d.n, d.undefined) == (8, 0)
    assert d.mean == pytest.approx(diff.mean())
    assert d.std == pytest.approx(diff.std(ddof=1))
    assert (d.ci_low, d.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert d.p_value == pytest.approx(stats.wilcoxon(diff).pvalue)
    assert d.positive + d.negative == 8


def test_nan_differences_are_counted_not_used():
    d = paired_difference([0.5, np.nan, 0.7, 0.9], [0.1, 0.2, 0.3, 0.4])
    assert (d.n, d.undefined) == (3, 1)
    assert d.mean == pytest.approx(np.mean([0.4, 0.4, 0.5]))
    assert "1 seeds undefined" in describe(d, subject="LL++", other="LL", more="more", less="less")


def test_all_zero_and_tiny_samples_are_explicit():
    assert wilcoxon_p([0.0, 0.0, 0.0]) == (1.0, "all differences are zero")
    p, note = wilcoxon_p([0.1, 0.2, 0.3, 0.4, 0.5])
    assert p == pytest.approx(2 / 2**5) and "smallest possible p is 0.0625" in note
    assert math.isnan(wilcoxon_p([])[0])
    single = paired_difference([1.0], [0.5])
    assert single.n == 1 and math.isnan(single.ci_low) and not single.significant
    assert mean_ci([]) == (pytest.approx(math.nan, nan_ok=True),) * 3


def test_consistent_effect_is_significant_and_described():
    a = np.array([0.10, 0.12, 0.09, 0.11, 0.13, 0.10])
    b = a + np.array([0.10, 0.12, 0.11, 0.09, 0.13, 0.10])
    d = paired_difference(a, b)
    assert d.significant and d.negative == 6
    text = describe(
        d, subject="LL++", other="random", more="picked images with higher PCK", less="picked images with lower PCK"
    )
    assert text.startswith(
        "LL++ picked images with lower PCK than random in 6 of 6 seeds (-0.11, 95 % CI -0.12 to -0.09"
    )
    assert "p = 0.031" in text and text.endswith(": significant.")


def test_labels_to_reach_interpolates_and_says_never():
    labelled = [100, 200, 300, 400]
    assert labels_to_reach(labelled, [0.2, 0.3, 0.5, 0.6], 0.4) == pytest.approx(250.0)
    assert labels_to_reach(labelled, [0.2, 0.3, 0.5, 0.6], 0.6) == pytest.approx(400.0)
    assert labels_to_reach(labelled, [0.5, 0.3, 0.5, 0.6], 0.4) == 100.0  # already there at the start
    assert labels_to_reach(labelled, [0.2, 0.45, 0.3, 0.6], 0.4) == pytest.approx(180.0)  # first crossing
    assert math.isnan(labels_to_reach(labelled, [0.2, 0.3, 0.35, 0.39], 0.4))
    with pytest.raises(ValueError):
        labels_to_reach([100, 100], [0.1, 0.2], 0.1)
