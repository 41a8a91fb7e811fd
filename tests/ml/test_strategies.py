"""Strategies: the spec table's facts, and the selectors' ordering, determinism, core-set geometry."""

import dataclasses

import numpy as np
import pytest

from ml.strategies import (
    DEFAULT_STRATEGY,
    SELECTORS,
    STRATEGY_SPECS,
    StrategySpec,
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
