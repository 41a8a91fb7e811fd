"""The active-learning protocol behind the failure-detection table, one seed at a time."""
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ml.data import KeypointDataset
from ml.evaluate import Evaluation, evaluate
from ml.experiments.sources import ExperimentData, load_experiment_data
from ml.metrics import per_image_pck, pck, spearman
from ml.models import PRESETS, create_model
from ml.strategies import select, strategy_spec
from ml.train import TrainConfig, fit


@dataclass(frozen=True)
class ExperimentConfig:
    dataset: str = "synthetic"
    data_dir: Optional[str] = None
    strategies: tuple[str, ...] = ("random", "coreset", "learning_loss", "ll_plus_plus", "ll_plus_plus_conv")
    cycles: int = 3
    budget: int = 200
    seeds: int = 3
    initial: int = 1000          # labelled images at stage 1
    pool: int = 2000             # unlabelled pool the strategies choose from
    val: int = 500
    model: str = "hg-tiny"
    channels: Optional[int] = None   # override the preset's width (None keeps it)
    epochs: int = 15             # first cycle, from scratch
    warm_epochs: int = 8         # later cycles, warm-started from the previous cycle's model
    batch_size: int = 16
    lr: float = 3e-3
    device: str = "cpu"
    workers: int = 1             # seeds run in parallel processes, each with cores / workers threads
    out: str = "experiments-out/failure_detection"


@dataclass
class Trained:
    state: dict
    pool: Evaluation
    val_keypoints: np.ndarray
    labelled_features: Optional[np.ndarray]
    seconds: float


class Runner:
    """Runs the strategies' chains on one data set. A first cycle depends only on (seed, objective,
    head), so strategies that agree on those share its training."""

    def __init__(self, config: ExperimentConfig, data: ExperimentData, on_epoch: Callable[[str], None]):
        self.config, self.data, self.on_epoch = config, data, on_epoch
        self.first_cycle: dict[tuple, Trained] = {}

    def dataset(self, indices: np.ndarray, *, train: bool) -> KeypointDataset:
        images, keypoints, visibility = self.data.subset(indices)
        return KeypointDataset(images, keypoints, visibility, skeleton=self.data.skeleton,
                               input_size=PRESETS[self.config.model].input_size, train=train)

    def train(self, *, seed: int, cycle: int, objective: str, head: str, labelled: np.ndarray, pool: np.ndarray,
              warm_start: Optional[dict], labelled_features: bool) -> Trained:
        c = self.config
        torch.manual_seed(seed)
        widths = {} if c.channels is None else {"channels": c.channels}
        model = create_model(c.model, head=head, num_keypoints=self.data.skeleton.num_keypoints, **widths)
        train_config = TrainConfig(epochs=c.epochs if cycle == 0 else c.warm_epochs, batch_size=c.batch_size,
                                   lr=c.lr, objective=objective, seed=seed * 100 + cycle)
        started = time.perf_counter()

        def progress(p):
            if p.epoch_end:
                self.on_epoch(f"seed {seed} {objective}/{head} cycle {cycle + 1} "
                              f"ep {p.epoch}/{p.epochs} pose {p.losses['pose']:.2f}")

        fit(model, self.dataset(labelled, train=True), config=train_config, device=c.device,
            warm_start=warm_start, progress=progress)
        seconds = time.perf_counter() - started
        features = (evaluate(model, self.dataset(labelled, train=False), device=c.device).features
                    if labelled_features else None)
        val = evaluate(model, self.dataset(self.data.val, train=False), device=c.device)
        return Trained(state={k: v.detach().clone() for k, v in model.state_dict().items()},
                       pool=evaluate(model, self.dataset(pool, train=False), device=c.device),
                       val_keypoints=val.keypoints, labelled_features=features, seconds=seconds)

    def chain(self, strategy: str, seed: int) -> list[dict]:
        """All cycles of one strategy and seed; one row per stage."""
        c, d = self.config, self.data
        spec = strategy_spec(strategy)
        objective, head = spec.objective, spec.head
        order = np.random.default_rng(seed).permutation(d.train)
        labelled, pool = order[:c.initial], order[c.initial:c.initial + c.pool]
        rows, state = [], None
        for cycle in range(c.cycles):
            key = (seed, objective, head)
            if cycle == 0 and key in self.first_cycle:
                trained = self.first_cycle[key]
            else:
                # Coreset needs the labelled set's features; a first cycle may be shared with it.
                features = strategy == "coreset" or (cycle == 0 and "coreset" in c.strategies)
                trained = self.train(seed=seed, cycle=cycle, objective=objective, head=head, labelled=labelled,
                                     pool=pool, warm_start=state, labelled_features=features)
                if cycle == 0:
                    self.first_cycle[key] = trained
            ev = trained.pool
            chosen = select(spec.selector, budget=c.budget, predicted_loss=ev.predicted_loss, features=ev.features,
                            labelled_features=trained.labelled_features, heatmap_entropy=ev.heatmap_entropy,
                            seed=seed * 100 + cycle)
            picked = pool[chosen]
            rows.append({
                "strategy": strategy, "seed": seed, "stage": cycle + 1, "labelled": len(labelled),
                "selected_pck": float(np.nanmean(per_image_pck(
                    ev.keypoints[chosen], d.keypoints[picked], d.visibility[picked], d.normaliser[picked], d.alpha))),
                "pool_pck": pck(ev.keypoints, d.keypoints[pool], d.visibility[pool], d.normaliser[pool], d.alpha),
                "spearman": spearman(ev.predicted_loss, ev.true_loss),
                "val_pck": pck(trained.val_keypoints, d.keypoints[d.val], d.visibility[d.val],
                               d.normaliser[d.val], d.alpha),
                "train_s": round(trained.seconds, 1),
            })
            labelled = np.concatenate([labelled, picked])
            pool = np.delete(pool, chosen)
            state = trained.state
        return rows


def run_seed(config: ExperimentConfig, seed: int, on_epoch: Callable[[str], None]) -> list[dict]:
    """Every strategy's chain for one seed; on_epoch gets a status line after each training epoch."""
    data = load_experiment_data(config.dataset, data_dir=config.data_dir,
                                n_train=config.initial + config.pool, n_val=config.val)
    if len(data.train) < config.initial + config.pool or config.pool < config.budget * config.cycles:
        raise ValueError(f"{len(data.train)} training images for initial {config.initial} + pool {config.pool}, "
                         f"and the pool must hold budget x cycles = {config.budget * config.cycles}")
    runner = Runner(config, data, on_epoch)
    return [row for strategy in config.strategies for row in runner.chain(strategy, seed)]


def run_seed_in_worker(config: ExperimentConfig, seed: int, queue) -> list[dict]:
    """run_seed in a worker process: status lines go to the parent through queue; the cores are
    split between workers, since one thread per process avoids intra-op synchronisation."""
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // config.workers))
    return run_seed(config, seed, queue.put)
