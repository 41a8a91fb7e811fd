"""Active-learning strategies: the table people choose from, and the selectors behind it.

`STRATEGY_SPECS` is the one home of the strategy table: for each user-facing strategy,
the selector that ranks the pool and the objective and head its loss head trains with.
The web service, its dashboard and the experiments all read it.

`select(name, budget=..., <inputs>)` runs the selector `name` of `SELECTORS` and returns
pool indices [budget] (int64), most informative first. Each selector declares the
per-image inputs it reads:

- random: none (any given array fixes the pool size)
- coreset: features [N, D], optionally labelled_features [M, D]
- learning_loss, ll_plus_plus: predicted_loss [N] (the heads differ in their training
  objective, not in how they rank)
- multipeak_entropy: heatmap_entropy [N], see ml.peak_entropy.multipeak_entropy
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Distances to the labelled set are taken in blocks of about this many pool x labelled
# entries (64 MB of float32), so memory stays flat however large the labelled set grows.
_DISTANCE_BLOCK = 1 << 24


@dataclass(frozen=True)
class StrategySpec:
    """One strategy an admin or an experiment can choose."""

    name: str  # user-facing id, stored on a cycle
    selector: str  # key in SELECTORS
    objective: str  # loss-head objective, as ml.train.TrainConfig.objective takes it
    head: str  # loss-head variant in ml.models: "gap" or "conv"
    label: str  # short name for people


# In the order people should see them: the paper's recommendation first, then its conv-head
# variant and the original Learning Loss, then the baselines. Random, core-set and entropy do
# not read the head, but train it with LL++ on the gap head anyway so that their pose
# networks see exactly the training ll_plus_plus's does.
STRATEGY_SPECS: dict[str, StrategySpec] = {
    spec.name: spec
    for spec in (
        StrategySpec("ll_plus_plus", "ll_plus_plus", "ll_plus_plus", "gap", "LearningLoss++ (LL++)"),
        StrategySpec(
            "ll_plus_plus_conv", "ll_plus_plus", "ll_plus_plus", "conv", "LL++ with the multi-scale conv head"
        ),
        StrategySpec("learning_loss", "learning_loss", "learning_loss", "gap", "Learning Loss"),
        StrategySpec("random", "random", "ll_plus_plus", "gap", "Random"),
        StrategySpec("coreset", "coreset", "ll_plus_plus", "gap", "Core-set"),
        StrategySpec("multipeak_entropy", "multipeak_entropy", "ll_plus_plus", "gap", "Multi-peak heatmap entropy"),
    )
}
DEFAULT_STRATEGY = "ll_plus_plus"


def strategy_spec(name: str) -> StrategySpec:
    """The spec of strategy `name`; KeyError naming the known strategies otherwise."""
    if name not in STRATEGY_SPECS:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(STRATEGY_SPECS)}")
    return STRATEGY_SPECS[name]


@dataclass(frozen=True)
class Pool:
    """The per-image inputs of one selection; `size` is N."""

    size: int
    predicted_loss: np.ndarray | None
    features: np.ndarray | None
    labelled_features: np.ndarray | None
    heatmap_entropy: np.ndarray | None


@dataclass(frozen=True)
class Selector:
    needs: tuple[str, ...]
    choose: Callable[[Pool, int, int], np.ndarray]  # (pool, budget, seed) -> indices [budget]


def select(
    name: str,
    *,
    budget: int,
    predicted_loss: np.ndarray | None = None,
    features: np.ndarray | None = None,
    labelled_features: np.ndarray | None = None,
    heatmap_entropy: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Pick min(budget, N) distinct pool indices [budget] (int64) with selector `name`, most
    informative first."""
    if name not in SELECTORS:
        raise KeyError(f"unknown selector {name!r}; known: {', '.join(sorted(SELECTORS))}")
    selector = SELECTORS[name]
    per_image = {"predicted_loss": predicted_loss, "features": features, "heatmap_entropy": heatmap_entropy}
    missing = [need for need in selector.needs if per_image[need] is None]
    if missing:
        raise ValueError(f"selector {name!r} needs {', '.join(missing)}")
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    pool = Pool(size=_pool_size(per_image), labelled_features=labelled_features, **per_image)
    chosen = selector.choose(pool, min(int(budget), pool.size), seed)
    return np.asarray(chosen, dtype=np.int64)


def random_order(pool_size: int, budget: int, seed: int) -> np.ndarray:
    """The first `budget` entries of a seeded permutation of the pool."""
    return np.random.default_rng(seed).permutation(pool_size)[:budget]


def highest_first(scores: np.ndarray, budget: int) -> np.ndarray:
    """Indices of the `budget` highest scores [N], ties broken by the lower index."""
    scores = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite; a NaN or inf score means the scorer failed")
    return np.argsort(-scores, kind="stable")[:budget]


def k_center_greedy(features: np.ndarray, labelled_features: np.ndarray | None, budget: int, seed: int) -> np.ndarray:
    """Core-set selection (Sener & Savarese, ICLR 2018): repeatedly take the pool point
    farthest from everything labelled or chosen so far.

    features [N, D], labelled_features [M, D] or None. Keeps one running min-distance
    vector [N] (never the N x N matrix): each pick costs one matrix-vector product.
    Without labelled points the first pick is a seeded random point.
    """
    x = np.asarray(features, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"features must be [N, D], got shape {x.shape}")
    # Centring leaves distances unchanged and keeps |a|^2 - 2ab + |b|^2 from cancelling
    # catastrophically in float32 when the features share a large offset.
    centre = x.mean(axis=0) if len(x) else np.zeros(x.shape[1], dtype=np.float32)
    x = x - centre
    squared_norms = np.einsum("nd,nd->n", x, x)
    has_labelled = labelled_features is not None and len(labelled_features) > 0
    if has_labelled:
        min_distance = _min_distance_to(x, squared_norms, labelled_features, centre)
    else:
        min_distance = np.full(len(x), np.inf, dtype=np.float32)
    chosen: list[int] = []
    for _ in range(budget):
        if chosen or has_labelled:
            pick = int(np.argmax(min_distance))
        else:
            pick = int(np.random.default_rng(seed).integers(len(x)))
        chosen.append(pick)
        distance = squared_norms - 2 * (x @ x[pick]) + squared_norms[pick]
        np.minimum(min_distance, distance, out=min_distance)
        # Never pick a point twice, even when every remaining distance is 0.
        min_distance[pick] = -np.inf
    return np.array(chosen, dtype=np.int64)


def _min_distance_to(x: np.ndarray, squared_norms: np.ndarray, labelled_features, centre) -> np.ndarray:
    """Squared distance [N] from each centred pool point to its nearest labelled point."""
    labelled = np.asarray(labelled_features, dtype=np.float32)
    if labelled.ndim != 2 or labelled.shape[1] != x.shape[1]:
        raise ValueError(f"labelled_features must be [M, {x.shape[1]}], got shape {labelled.shape}")
    labelled = labelled - centre
    min_distance = np.full(len(x), np.inf, dtype=np.float32)
    chunk = max(1, _DISTANCE_BLOCK // max(1, len(x)))
    for start in range(0, len(labelled), chunk):
        centres = labelled[start : start + chunk]
        distance = squared_norms[:, None] - 2 * (x @ centres.T) + np.einsum("md,md->m", centres, centres)[None, :]
        np.minimum(min_distance, distance.min(axis=1), out=min_distance)
    return min_distance


def _pool_size(per_image: dict[str, np.ndarray | None]) -> int:
    sizes = {need: len(value) for need, value in per_image.items() if value is not None}
    if not sizes:
        raise ValueError("pass at least one per-image array so the pool size is known")
    if len(set(sizes.values())) > 1:
        raise ValueError(f"per-image inputs disagree on the pool size: {sizes}")
    return next(iter(sizes.values()))


def _choose_random(pool: Pool, budget: int, seed: int) -> np.ndarray:
    return random_order(pool.size, budget, seed)


def _choose_coreset(pool: Pool, budget: int, seed: int) -> np.ndarray:
    return k_center_greedy(pool.features, pool.labelled_features, budget, seed)


def _choose_by_predicted_loss(pool: Pool, budget: int, seed: int) -> np.ndarray:
    return highest_first(pool.predicted_loss, budget)


def _choose_by_entropy(pool: Pool, budget: int, seed: int) -> np.ndarray:
    return highest_first(pool.heatmap_entropy, budget)


SELECTORS: dict[str, Selector] = {
    "random": Selector((), _choose_random),
    "coreset": Selector(("features",), _choose_coreset),
    "learning_loss": Selector(("predicted_loss",), _choose_by_predicted_loss),
    "ll_plus_plus": Selector(("predicted_loss",), _choose_by_predicted_loss),
    "multipeak_entropy": Selector(("heatmap_entropy",), _choose_by_entropy),
}
