"""Failure detection (Shukla & Ahmed, 'PCK of the selected images'): which strategy finds the images
the current model gets wrong?

Per seed: one pose network trained on the initial labelled set with the LL gap, LL++ gap and LL++
conv heads side by side on its detached features; every strategy ranks the same pool from that one
network's scores. Per seed and strategy: PCK of the `budget` images selected (lower = failures
found), mean true loss of the pool's top 10 % by the strategy's score, Spearman and Kendall of score
and true loss on the whole pool; per seed: the Gamma (k, theta) fit of the pool's true losses and
validation PCK. Then paired differences over seeds with 95 % t intervals and Wilcoxon p-values.

    python -m ml.experiments.failure_detection --dataset synthetic --preset cpu --out DIR
"""

import argparse
import dataclasses
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from ml.experiments.protocol import ExperimentConfig, Seed, load_data
from ml.experiments.report import (
    DIFFERENCE_HEADER,
    difference_row,
    machine_load,
    markdown_table,
    mean_std,
    number,
    plot_differences,
    plot_gamma,
    plot_scatter,
    write_csv,
    write_results,
)
from ml.experiments.seeds import SeedResult, apply_overrides, run_seeds
from ml.experiments.sources import metric_name
from ml.stats import describe, paired_difference
from ml.strategies import STRATEGY_SPECS

STRATEGIES = ("random", "coreset", "multipeak_entropy", "learning_loss", "ll_plus_plus", "ll_plus_plus_conv")
PRESETS = {
    # A smoke run: 1.8 min measured on 2 cores at load 1-2.
    "quick": {
        "seeds": 2,
        "initial": 300,
        "pool": 400,
        "val": 150,
        "budget": 60,
        "epochs": 8,
        "head_epochs": 3,
        "workers": 2,
    },
    # A 64-channel hg-tiny (32 channels is barely faster on this CPU) on 600 images for 15 epochs, three
    # seeds per worker: 50 min measured on 2 cores shared at load 4-7 (docs/results), ~30 min estimated idle.
    "cpu": {
        "seeds": 6,
        "initial": 600,
        "pool": 800,
        "val": 300,
        "budget": 100,
        "epochs": 15,
        "head_epochs": 10,
        "workers": 2,
    },
    # The paper's network and budget, for a GPU.
    "paper": {
        "model": "hg-paper",
        "seeds": 6,
        "initial": 1000,
        "pool": 5000,
        "val": 1000,
        "budget": 1000,
        "epochs": 100,
        "head_epochs": 10,
        "schedule": "plateau",
        "lr": 3e-4,
        "device": "cuda",
        "workers": 1,
    },
}
# (a, b, label): a - b per seed; the three questions the experiment is built to answer, then the
# baselines against random.
COMPARISONS = (
    ("ll_plus_plus", "learning_loss", "LL++ - LL"),
    ("ll_plus_plus", "random", "LL++ - random"),
    ("ll_plus_plus_conv", "ll_plus_plus", "LL++conv - LL++"),
    ("learning_loss", "random", "LL - random"),
    ("multipeak_entropy", "random", "entropy - random"),
    ("coreset", "random", "coreset - random"),
)
# metric -> (column title, what a positive difference means, what a negative one means)
METRICS = {
    "selected_pck": ("PCK of selected", "picked images with higher PCK", "picked images with lower PCK"),
    "top10_true_loss": (
        "true loss of top 10 %",
        "put higher-loss images in its top 10 %",
        "put lower-loss images in its top 10 %",
    ),
    "spearman": (
        "Spearman(score, loss)",
        "ranked the pool closer to its true loss",
        "ranked the pool further from its true loss",
    ),
    "kendall": (
        "Kendall(score, loss)",
        "ranked the pool closer to its true loss (Kendall)",
        "ranked the pool further from its true loss (Kendall)",
    ),
}


def run_seed(config: ExperimentConfig, seed: int, on_epoch) -> SeedResult:
    """One network, every strategy's selection from its scores; one row per strategy."""
    s = Seed(config, load_data(config), seed, on_epoch)
    network = s.train(s.labelled, stage=1, heads=config.head_keys())
    scores = s.score(network, s.pool, s.labelled, features="coreset" in config.strategies)
    shared = {"seed": seed, "stage": 1, "labelled": len(s.labelled), "budget": config.budget}
    per_seed = {"val_pck": s.validate(network), **s.pool_metrics(scores, s.pool), "train_s": round(network.seconds, 1)}
    rows, scatter = [], {}
    for strategy in config.strategies:
        order, score = s.rank(strategy, scores, stage=1)
        rows.append({"strategy": strategy, **shared, **s.selection_metrics(order, score, scores, s.pool), **per_seed})
        scatter[strategy] = (score, scores.pool.true_loss)
    return SeedResult(rows, {"scatter": scatter, "true_loss": scores.pool.true_loss} if seed == 0 else {})


def planned_epochs(config: ExperimentConfig) -> int:
    return config.seeds * (config.epochs + config.head_epochs)


def by_seed(rows: list[dict], strategy: str, metric: str) -> np.ndarray:
    return np.array([r[metric] for r in sorted(rows, key=lambda r: r["seed"]) if r["strategy"] == strategy])


def differences(rows: list[dict], strategies: tuple[str, ...]):
    """[(comparison label, metric title, PairedDifference, sentence)] for the comparisons both sides ran."""
    found = []
    for a, b, label in COMPARISONS:
        if a in strategies and b in strategies:
            for metric, (title, more, less) in METRICS.items():
                d = paired_difference(by_seed(rows, a, metric), by_seed(rows, b, metric))
                subject, other = label.split(" - ")
                found.append((label, title, d, describe(d, subject=subject, other=other, more=more, less=less)))
    return found


def sections(rows: list[dict], config: ExperimentConfig) -> list[tuple[str, str]]:
    strategies = [s for s in config.strategies if any(r["strategy"] == s for r in rows)]
    metric = metric_name(config.dataset)
    per_strategy = markdown_table(
        ["strategy"] + [title for title, _, _ in METRICS.values()],
        [[s] + [mean_std(by_seed(rows, s, m)) for m in METRICS] for s in strategies],
    )
    first = strategies[0]
    per_seed = markdown_table(
        ["seed", f"validation {metric}", f"pool {metric}", "pool mean true loss", "Gamma k", "Gamma θ", "train s"],
        [
            [
                str(r["seed"]),
                number(r["val_pck"]),
                number(r["pool_pck"]),
                number(r["pool_true_loss"], 4),
                number(r["gamma_k"], 2),
                number(r["gamma_theta"], 4),
                number(r["train_s"], 0),
            ]
            for r in rows
            if r["strategy"] == first
        ],
    )
    undefined = ", ".join(f"{s} {int(np.isnan(by_seed(rows, s, 'spearman')).sum())}" for s in strategies)
    found = differences(rows, config.strategies)
    table = markdown_table(DIFFERENCE_HEADER, [difference_row(label, title, d) for label, title, d, _ in found])
    significant = [sentence for _, _, d, sentence in found if d.significant]
    reading = "\n".join(f"- {sentence}" for sentence in significant) or "- No paired difference is significant."
    others = "\n".join(f"- {sentence}" for _, _, d, sentence in found if not d.significant)
    return [
        (
            "Per strategy (mean ± std over seeds)",
            per_strategy + f"\n\nSeeds with an undefined correlation "
            f"(constant score; counted, never dropped silently): {undefined}. Random and coreset rank by their "
            "order (score = -position), so their correlations measure chance and coverage.",
        ),
        ("Per seed (shared by all strategies of a seed)", per_seed),
        (
            "Paired differences over seeds",
            table + "\n\nSignificant = Wilcoxon signed-rank p < 0.05 and a 95 % t interval that excludes 0.",
        ),
        ("In words", "Significant:\n\n" + reading + "\n\nNot significant:\n\n" + (others or "- none")),
        (
            "Plots",
            "- `differences.png`: paired differences with their 95 % intervals\n"
            "- `scatter.png`: each strategy's score against the true loss on seed 0's pool\n"
            "- `gamma.png`: the Gamma fit of seed 0's pool losses, every seed's (k, θ)",
        ),
    ]


def run(config: ExperimentConfig, *, command: str = "") -> list[dict]:
    unknown = [s for s in config.strategies if s not in STRATEGY_SPECS]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; known: {', '.join(STRATEGY_SPECS)}")
    started, load_before = time.perf_counter(), machine_load()
    results = run_seeds(run_seed, config, total_epochs=planned_epochs(config), desc="failure detection")
    rows = sorted(
        (r for result in results for r in result.rows),
        key=lambda r: (config.strategies.index(r["strategy"]), r["seed"]),
    )
    out = Path(config.out)
    write_csv(rows, out / "runs.csv")
    found = differences(rows, config.strategies)
    plot_differences(
        [(label, title, d) for label, title, d, _ in found],
        out / "differences.png",
        "Failure detection: paired differences",
    )
    plot_scatter(results[0].plots["scatter"], out / "scatter.png", "Score vs true loss, seed 0's pool")
    fits = [(r["gamma_k"], r["gamma_theta"]) for r in rows if r["strategy"] == config.strategies[0]]
    plot_gamma(results[0].plots["true_loss"], fits, out / "gamma.png", "Pool true losses and their Gamma fit")
    write_results(
        out / "results.md",
        title="Failure detection",
        command=command,
        config=config,
        seconds=time.perf_counter() - started,
        load_before=load_before,
        sections=sections(rows, config),
    )
    print((out / "results.md").read_text())
    return rows


def parse_args(
    argv: list[str] | None = None,
    *,
    presets: dict = PRESETS,
    doc: str = __doc__,
    strategies: tuple[str, ...] = STRATEGIES,
    out: str = "experiments-out/failure_detection",
) -> ExperimentConfig:
    """--preset, then every ExperimentConfig field as an optional flag that overrides it."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--preset",
        choices=sorted(presets),
        default="cpu",
        help="; ".join(f"{name}: {values}" for name, values in presets.items()),
    )
    parser.add_argument("--quick", action="store_true", help="the same as --preset quick")
    parser.add_argument("--dataset", choices=["synthetic", "lsp", "mpii"])
    parser.add_argument("--data-dir")
    parser.add_argument("--strategies", help=f"comma-separated, from {', '.join(STRATEGY_SPECS)}")
    for field in dataclasses.fields(ExperimentConfig):
        if field.name not in ("dataset", "data_dir", "strategies"):
            kind = int if field.name == "channels" else type(field.default)
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind)
    args = vars(parser.parse_args(argv))
    preset = presets["quick" if args.pop("quick") else args.pop("preset")]
    args.pop("preset", None)
    return apply_overrides(ExperimentConfig(strategies=strategies, out=out), preset, args)


def command_line(module: str, argv: list[str]) -> str:
    return " ".join(["python", "-m", module] + [shlex.quote(a) for a in argv])


if __name__ == "__main__":
    run(parse_args(), command=command_line("ml.experiments.failure_detection", sys.argv[1:]))
