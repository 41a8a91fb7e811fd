"""Failure detection (Shukla & Ahmed, table 'PCK of the selected images'): which strategy finds the
images the current model gets wrong?

Per seed and strategy: train on the initial labelled set, score the pool, select the top `budget`,
record the PCK of those images under the model that chose them (lower = the strategy found the
failures), Spearman(predicted, true loss) on the pool and the validation PCK; add the selected
images with their ground truth, warm start, repeat.

    python -m ml.experiments.failure_detection --dataset synthetic --quick --out /tmp/fd
"""
import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from tqdm import tqdm

from ml.data import KeypointDataset
from ml.evaluate import Evaluation, evaluate
from ml.experiments.report import format_table, plot, summarise, write_csv
from ml.experiments.sources import ExperimentData, load_experiment_data
from ml.metrics import per_image_pck, pck, spearman
from ml.models import PRESETS, create_model
from ml.strategies import select
from ml.train import TrainConfig, fit

# strategy -> (name in ml.strategies, head objective, head). random and coreset ignore the head but
# train it with LL++ so that their pose networks see the same training as ll_plus_plus.
STRATEGIES = {
    "random": ("random", "ll_plus_plus", "gap"),
    "coreset": ("coreset", "ll_plus_plus", "gap"),
    "learning_loss": ("learning_loss", "learning_loss", "gap"),
    "ll_plus_plus": ("ll_plus_plus", "ll_plus_plus", "gap"),
    "ll_plus_plus_conv": ("ll_plus_plus", "ll_plus_plus", "conv"),
    "multipeak_entropy": ("multipeak_entropy", "ll_plus_plus", "gap"),
}


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
    batch_size: int = 32
    lr: float = 1e-3
    device: str = "cpu"
    out: str = "experiments-out/failure_detection"


# About 6 minutes on 2 CPU cores: small enough to run often, large enough for the ranking to show.
QUICK = dict(cycles=2, budget=100, seeds=2, initial=400, pool=1000, val=200, epochs=10, warm_epochs=4)


@dataclass
class Trained:
    state: dict
    pool: Evaluation
    val_keypoints: np.ndarray
    labelled_features: Optional[np.ndarray]
    seconds: float


class Runner:
    """Runs every (seed, strategy) chain; the first cycle depends only on (seed, objective, head), so
    strategies sharing them share that training."""

    def __init__(self, config: ExperimentConfig, data: ExperimentData, bar: tqdm):
        self.config, self.data, self.bar = config, data, bar
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
            self.bar.set_postfix_str(f"seed {seed} {objective}/{head} cycle {cycle + 1} "
                                     f"ep {p.epoch}/{p.epochs} pose {p.losses['pose']:.2f}", refresh=False)
            if p.epoch_end:
                self.bar.update(1)

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
        select_name, objective, head = STRATEGIES[strategy]
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
            chosen = select(select_name, budget=c.budget, predicted_loss=ev.predicted_loss, features=ev.features,
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


def planned_epochs(config: ExperimentConfig) -> int:
    """Training epochs the run will do, counting shared first cycles once (for the progress bar)."""
    first = {STRATEGIES[s][1:] for s in config.strategies}
    per_seed = len(first) * config.epochs + len(config.strategies) * (config.cycles - 1) * config.warm_epochs
    return per_seed * config.seeds


def run(config: ExperimentConfig) -> list[dict]:
    unknown = [s for s in config.strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; known: {sorted(STRATEGIES)}")
    data = load_experiment_data(config.dataset, data_dir=config.data_dir,
                                n_train=config.initial + config.pool, n_val=config.val)
    if len(data.train) < config.initial + config.pool or config.pool < config.budget * config.cycles:
        raise ValueError(f"{len(data.train)} training images for initial {config.initial} + pool {config.pool}, "
                         f"and the pool must hold budget x cycles = {config.budget * config.cycles}")
    rows = []
    with tqdm(total=planned_epochs(config), unit="epoch", desc="failure detection") as bar:
        runner = Runner(config, data, bar)
        for seed in range(config.seeds):
            for strategy in config.strategies:
                rows.extend(runner.chain(strategy, seed))
    out = Path(config.out)
    summary = summarise(rows)
    write_csv(rows, out / "runs.csv")
    write_csv(summary, out / "summary.csv")
    plot(summary, out / "failure_detection.png", data.metric)
    table = format_table(summary, data.metric)
    (out / "table.txt").write_text(table + "\n")
    print(table)
    print(f"wrote {out / 'runs.csv'}, {out / 'summary.csv'}, {out / 'failure_detection.png'}")
    return rows


def parse_args(argv: Optional[list[str]] = None) -> ExperimentConfig:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["synthetic", "lsp", "mpii"])
    parser.add_argument("--data-dir")
    parser.add_argument("--strategies", help=f"comma-separated, from {', '.join(STRATEGIES)}")
    parser.add_argument("--quick", action="store_true", help=f"small CPU run: {QUICK}")
    for field in dataclasses.fields(ExperimentConfig):
        if field.name not in ("dataset", "data_dir", "strategies"):
            kind = int if field.name == "channels" else type(field.default)
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind)
    args = parser.parse_args(argv)
    overrides = QUICK.copy() if args.quick else {}
    for name, value in vars(args).items():
        if name != "quick" and value is not None:
            overrides[name] = tuple(value.split(",")) if name == "strategies" else value
    return dataclasses.replace(ExperimentConfig(), **overrides)


if __name__ == "__main__":
    run(parse_args())
