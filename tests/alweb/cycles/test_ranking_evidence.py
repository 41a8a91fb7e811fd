"""The audit sample, the pool standing shown to annotators, and the verdict the dashboard words."""

import numpy as np
import pytest

from alweb.cycles.outcomes import ranking_verdict
from alweb.cycles.ranking import _interleaved, _top_percent, audit_size


@pytest.mark.parametrize(("budget", "fraction", "expected"), [(50, 0.1, 5), (3, 0.1, 1), (10, 0.0, 0), (100, 0.25, 25)])
def test_the_audit_sample_is_a_share_of_the_budget_and_at_least_one_image_when_on(budget, fraction, expected):
    assert audit_size(budget=budget, fraction=fraction) == expected


def test_audit_images_go_to_random_places_and_the_picks_keep_their_order():
    picked, audit = np.array([7, 3, 9, 1]), np.array([4, 8])
    order = _interleaved(picked, audit, seed=5)
    assert sorted(order.tolist()) == [1, 3, 4, 7, 8, 9]
    assert [i for i in order.tolist() if i in picked] == picked.tolist()
    assert np.array_equal(order, _interleaved(picked, audit, seed=5))


def test_the_standing_is_the_share_of_the_pool_predicted_at_least_as_wrong():
    standing = _top_percent(np.array([3.0, 1.0, 2.0, 3.0]), np.arange(4))
    assert standing.tolist() == [50.0, 100.0, 75.0, 50.0]
    assert _top_percent(np.array([]), np.array([], dtype=np.int64)).size == 0


def test_the_verdict_needs_an_interval_that_excludes_no_difference():
    rng = np.random.default_rng(0)
    low, high = rng.uniform(0.1, 0.3, 20), rng.uniform(0.6, 0.9, 20)
    assert ranking_verdict(selected=low, audit=high) == "found"
    assert ranking_verdict(selected=high, audit=low) == "not_found"
    assert ranking_verdict(selected=low, audit=rng.permutation(low)) == "unclear"
    assert ranking_verdict(selected=low[:1], audit=high) == "too_few"
    assert ranking_verdict(selected=np.full(3, 0.5), audit=np.full(3, 0.5)) == "unclear"
