"""The pieces both experiments are built from: one seed's split, one trained network with its loss
heads side by side, the pool scored under each head, and each strategy's ranking of that pool.

Pairing: every strategy of a seed starts from the same labelled set, pool and pose network; the loss
heads (LL gap, LL++ gap, LL++ conv) train on that one network's detached features (side heads), so a
difference between strategies of one seed is a difference of selection alone.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ml.analysis import fit_gamma
from ml.data import KeypointDataset
from ml.evaluate import Evaluation, evaluate
from ml.experiments.sources import ExperimentData, load_experiment_data
from ml.metrics import kendall, pck, per_image_pck, spearman
from ml.models import PRESETS, PoseModel, create_head, create_model
from ml.strategies import select, strategy_spec
from ml.train import SideHead, TrainConfig, fit

HeadKey = tuple[str, str]  # (objective, head kind): one trained loss head
TOP_FRACTION = 0.1  # "top 10 %": the pool images a strategy ranks first


@dataclass(frozen=True)
class ExperimentConfig:
    dataset: str = "synthetic"
    data_dir: str | None = None
    strategies: tuple[str, ...] = ("random", "learning_loss", "ll_plus_plus", "ll_plus_plus_conv")
    cycles: int = 1  # trainings per strategy chain (the learning curve's points)
    budget: int = 200  # images selected per stage
    seeds: int = 6
    initial: int = 1000  # labelled images at stage 1
    pool: int = 2000  # unlabelled pool the strategies choose from
    val: int = 500
    model: str = "hg-tiny"
    channels: int | None = None  # override the preset's width (None keeps it)
    epochs: int = 15  # first stage, from scratch
    warm_epochs: int = 8  # later stages, warm-started from the same strategy's previous network
    head_epochs: int = 10  # loss heads alone on the frozen network, after each training
    batch_size: int = 16
    lr: float = 1e-3
    schedule: str = "cosine"
    device: str = "cpu"
    workers: int = 1  # seeds run in parallel processes, each with cores / workers threads
    out: str = "experiments-out"  # each command defaults to a folder of its own below it

    def head_keys(self) -> list[HeadKey]:
        """The loss heads the strategies read, LL++ gap first (it is the model's own head)."""
        keys = {(strategy_spec(s).objective, strategy_spec(s).head) for s in self.strategies}
        return sorted(keys | {("ll_plus_plus", "gap")}, key=lambda k: (k != ("ll_plus_plus", "gap"), k))


@dataclass
class Network:
    """One trained pose network and its loss heads, each head as a PoseModel sharing the backbone."""

    models: dict[HeadKey, PoseModel]
    seconds: float

    def state(self, key: HeadKey) -> dict[str, torch.Tensor]:
        """A state dict of the network with head `key`, to warm-start that strategy's next stage."""
        return {k: v.detach().clone() for k, v in self.models[key].state_dict().items()}


@dataclass
class Scores:
    """A network's view of one seed's pool."""

    pool: Evaluation  # under the LL++ gap head: keypoints, features, entropy, true loss
    predicted_loss: dict[HeadKey, np.ndarray]
    labelled_features: np.ndarray | None


class Seed:
    """One seed's data split and the training, scoring and ranking done on it."""

    def __init__(self, config: ExperimentConfig, data: ExperimentData, seed: int, on_epoch: Callable[[str], None]):
        self.config, self.data, self.seed, self.on_epoch = config, data, seed, on_epoch
        order = np.random.default_rng(seed).permutation(data.train)
        self.labelled, self.pool = order[: config.initial], order[config.initial : config.initial + config.pool]

    def dataset(self, indices: np.ndarray, *, train: bool) -> KeypointDataset:
        images, keypoints, visibility = self.data.subset(indices)
        return KeypointDataset(
            images,
            keypoints,
            visibility,
            skeleton=self.data.skeleton,
            input_size=PRESETS[self.config.model].input_size,
            train=train,
        )

    def train(
        self,
        labelled: np.ndarray,
        *,
        stage: int,
        heads: list[HeadKey],
        warm_start: dict | None = None,
        head_phase: bool = True,
    ) -> Network:
        """Train a network whose own head is heads[0]; the other heads train beside it on its features."""
        c = self.config
        torch.manual_seed(self.seed)
        widths = {} if c.channels is None else {"channels": c.channels}
        (objective, kind), *side = heads
        model = create_model(c.model, head=kind, num_keypoints=self.data.skeleton.num_keypoints, **widths)
        side_heads = {f"{o}/{k}": SideHead(create_head(k, model.config), o) for o, k in side}
        train_config = TrainConfig(
            epochs=c.epochs if stage == 1 else c.warm_epochs,
            head_epochs=c.head_epochs if head_phase else 0,
            batch_size=c.batch_size,
            lr=c.lr,
            schedule=c.schedule,
            objective=objective,
            seed=self.seed * 100 + stage,
        )

        def progress(p) -> None:
            if p.epoch_end:
                self.on_epoch(
                    f"seed {self.seed} stage {stage} {objective}/{kind} {p.phase} "
                    f"ep {p.epoch}/{p.epochs} pose {p.losses['pose']:.2f}"
                )

        started = time.perf_counter()
        fit(
            model,
            self.dataset(labelled, train=True),
            config=train_config,
            device=c.device,
            warm_start=warm_start,
            progress=progress,
            side_heads=side_heads or None,
        )
        models = {heads[0]: model}
        models.update({(o, k): model.with_head(side_heads[f"{o}/{k}"].module, k) for o, k in side})
        return Network(models=models, seconds=time.perf_counter() - started)

    def score(self, network: Network, pool: np.ndarray, labelled: np.ndarray, *, features: bool) -> Scores:
        """Evaluate the pool under every head; with features, also the labelled features coreset needs."""
        device = self.config.device
        first, *others = network.models
        pool_set = self.dataset(pool, train=False)
        evaluation = evaluate(network.models[first], pool_set, device=device)
        predicted = {first: evaluation.predicted_loss}
        predicted.update({key: evaluate(network.models[key], pool_set, device=device).predicted_loss for key in others})
        labelled_features = (
            evaluate(network.models[first], self.dataset(labelled, train=False), device=device).features
            if features
            else None
        )
        return Scores(pool=evaluation, predicted_loss=predicted, labelled_features=labelled_features)

    def validate(self, network: Network) -> float:
        """PCK of the network on the validation set."""
        d = self.data
        model = next(iter(network.models.values()))
        val = evaluate(model, self.dataset(d.val, train=False), device=self.config.device)
        return pck(val.keypoints, d.keypoints[d.val], d.visibility[d.val], d.normaliser[d.val], d.alpha)

    def rank(self, strategy: str, scores: Scores, *, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """(order [N] of pool positions, most informative first; the score [N] the strategy ranks by).

        Random and coreset have no per-image score: theirs is minus the position in their order.
        """
        spec = strategy_spec(strategy)
        predicted = scores.predicted_loss.get((spec.objective, spec.head))
        ev = scores.pool
        order = select(
            spec.selector,
            budget=len(ev.true_loss),
            predicted_loss=predicted,
            features=ev.features,
            labelled_features=scores.labelled_features,
            heatmap_entropy=ev.heatmap_entropy,
            seed=self.seed * 100 + stage,
        )
        if spec.selector in ("learning_loss", "ll_plus_plus"):
            return order, predicted
        if spec.selector == "multipeak_entropy":
            return order, ev.heatmap_entropy
        score = np.empty(len(order))
        score[order] = -np.arange(len(order), dtype=np.float64)
        return order, score

    def selection_metrics(self, order: np.ndarray, score: np.ndarray, scores: Scores, pool: np.ndarray) -> dict:
        """PCK of the `budget` images chosen, mean true loss of the top 10 %, rank correlations on the pool."""
        d, ev = self.data, scores.pool
        chosen, picked = order[: self.config.budget], pool[order[: self.config.budget]]
        top = order[: max(1, math.ceil(TOP_FRACTION * len(order)))]
        return {
            "selected_pck": float(
                np.nanmean(
                    per_image_pck(
                        ev.keypoints[chosen], d.keypoints[picked], d.visibility[picked], d.normaliser[picked], d.alpha
                    )
                )
            ),
            "top10_true_loss": float(ev.true_loss[top].mean()),
            "spearman": spearman(score, ev.true_loss),
            "kendall": kendall(score, ev.true_loss),
        }

    def pool_metrics(self, scores: Scores, pool: np.ndarray) -> dict:
        """Pool PCK, mean true loss and the Gamma (k, theta) fit of the pool's true losses."""
        d, ev = self.data, scores.pool
        try:
            k, theta = fit_gamma(ev.true_loss)
        except ValueError:
            k, theta = math.nan, math.nan
        return {
            "pool_pck": pck(ev.keypoints, d.keypoints[pool], d.visibility[pool], d.normaliser[pool], d.alpha),
            "pool_true_loss": float(ev.true_loss.mean()),
            "gamma_k": k,
            "gamma_theta": theta,
        }


def load_data(config: ExperimentConfig) -> ExperimentData:
    """The experiment's data set, checked to hold the labelled set, the pool and every stage's budget."""
    data = load_experiment_data(
        config.dataset, data_dir=config.data_dir, n_train=config.initial + config.pool, n_val=config.val
    )
    needed = config.budget * max(1, config.cycles - 1)
    if len(data.train) < config.initial + config.pool or config.pool < needed:
        raise ValueError(
            f"{len(data.train)} training images for initial {config.initial} + pool {config.pool}, "
            f"and the pool must hold the budget of every stage ({needed})"
        )
    return data
