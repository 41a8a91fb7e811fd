"""The learning curve: validation PCK against labelled images per strategy, and how many labels each
strategy needs to reach the accuracy random reached with its full budget.

Per seed the strategies share their first stage (same labelled set, same network, the loss heads side
by side on it); from there each strategy selects `budget` images a stage, adds them with their
ground truth and warm-starts its own network from its previous one, for `cycles` trainings.

    python -m ml.experiments.learning_curve --dataset synthetic --preset cpu --out DIR
"""

import math
import sys
import time
from pathlib import Path

import numpy as np

from ml.experiments.failure_detection import command_line, parse_args
from ml.experiments.protocol import ExperimentConfig, Seed, load_data
from ml.experiments.report import (
    DIFFERENCE_HEADER,
    difference_row,
    machine_load,
    markdown_table,
    mean_std,
    number,
    plot_curve,
    plot_differences,
    plot_gamma,
    plot_scatter,
    write_csv,
    write_results,
)
from ml.experiments.seeds import SeedResult, run_seeds
from ml.experiments.sources import metric_name
from ml.stats import labels_to_reach, mean_ci, paired_difference
from ml.strategies import STRATEGY_SPECS, strategy_spec

STRATEGIES = ("random", "coreset", "learning_loss", "ll_plus_plus", "multipeak_entropy")
PRESETS = {
    # A smoke run: 2.6 min measured on 2 cores at load 1-2.
    "quick": {
        "seeds": 2,
        "cycles": 3,
        "initial": 100,
        "pool": 200,
        "val": 100,
        "budget": 50,
        "epochs": 6,
        "warm_epochs": 2,
        "head_epochs": 2,
        "workers": 2,
    },
    # 4 seeds x 4 stages of 120 + 3 x 60 labelled images: 24 min measured on 2 cores shared at load 2-5.
    "cpu": {
        "seeds": 4,
        "cycles": 4,
        "initial": 120,
        "pool": 400,
        "val": 200,
        "budget": 60,
        "epochs": 15,
        "warm_epochs": 3,
        "head_epochs": 5,
        "workers": 2,
    },
    # The paper's network and 1,000-image budgets, for a GPU.
    "paper": {
        "model": "hg-paper",
        "seeds": 3,
        "cycles": 5,
        "initial": 1000,
        "pool": 8000,
        "val": 1000,
        "budget": 1000,
        "epochs": 100,
        "warm_epochs": 100,
        "head_epochs": 10,
        "schedule": "plateau",
        "lr": 3e-4,
        "device": "cuda",
        "workers": 1,
    },
}
NAN_SELECTION = {"selected_pck": math.nan, "top10_true_loss": math.nan, "spearman": math.nan, "kendall": math.nan}


def run_seed(config: ExperimentConfig, seed: int, on_epoch) -> SeedResult:
    """Every strategy's chain from one shared first stage; one row per strategy and stage."""
    s = Seed(config, load_data(config), seed, on_epoch)
    first = s.train(s.labelled, stage=1, heads=config.head_keys())
    first_scores = s.score(first, s.pool, s.labelled, features="coreset" in config.strategies)
    first_val = s.validate(first)
    rows, scatter = [], {}
    for strategy in config.strategies:
        spec = strategy_spec(strategy)
        key = (spec.objective, spec.head)
        labelled, pool, network, scores, val = s.labelled, s.pool, first, first_scores, first_val
        for stage in range(1, config.cycles + 1):
            if stage > 1:
                # The head-only phase leaves the pose network as it is: only strategies that read the head need it.
                network = s.train(
                    labelled, stage=stage, heads=[key], warm_start=network.state(key), head_phase=reads_head(strategy)
                )
                val = s.validate(network)
            row = {
                "strategy": strategy,
                "seed": seed,
                "stage": stage,
                "labelled": len(labelled),
                "val_pck": val,
                "train_s": round(network.seconds, 1),  # stage 1: the shared network
                **NAN_SELECTION,
            }
            if stage < config.cycles:
                if stage > 1:
                    scores = s.score(network, pool, labelled, features=strategy == "coreset")
                order, score = s.rank(strategy, scores, stage=stage)
                row.update(s.selection_metrics(order, score, scores, pool))
                if stage == 1:
                    scatter[strategy] = (score, scores.pool.true_loss)
                chosen = order[: config.budget]
                labelled, pool = np.concatenate([labelled, pool[chosen]]), np.delete(pool, chosen)
            rows.append(row)
    plots = {"scatter": scatter, **s.pool_metrics(first_scores, s.pool), "true_loss": first_scores.pool.true_loss}
    return SeedResult(rows, plots)


def reads_head(strategy: str) -> bool:
    return strategy_spec(strategy).selector in ("learning_loss", "ll_plus_plus")


def planned_epochs(config: ExperimentConfig) -> int:
    per_stage = sum(config.warm_epochs + config.head_epochs * reads_head(s) for s in config.strategies)
    later = (config.cycles - 1) * per_stage
    return config.seeds * (config.epochs + config.head_epochs + later)


def curves(rows: list[dict], strategies) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """strategy -> (labelled [S], validation accuracy [seeds, S])."""
    found = {}
    for strategy in strategies:
        mine = sorted((r for r in rows if r["strategy"] == strategy), key=lambda r: (r["seed"], r["stage"]))
        stages = sorted({r["stage"] for r in mine})
        labelled = np.array([next(r["labelled"] for r in mine if r["stage"] == st) for st in stages])
        found[strategy] = (labelled, np.array([r["val_pck"] for r in mine]).reshape(-1, len(stages)))
    return found


def labels_needed(found: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """strategy -> [seeds] labelled images to reach that seed's random full-budget accuracy (NaN: never)."""
    target = found["random"][1][:, -1]
    return {
        s: np.array([labels_to_reach(labelled, acc[i], target[i]) for i in range(len(acc))])
        for s, (labelled, acc) in found.items()
    }


def sections(rows: list[dict], config: ExperimentConfig) -> tuple[list[tuple[str, str]], list]:
    metric = metric_name(config.dataset)
    found = curves(rows, config.strategies)
    labelled = next(iter(found.values()))[0]
    curve_table = markdown_table(
        ["strategy"] + [f"{n} labelled" for n in labelled],
        [[s] + [mean_std(acc[:, i]) for i in range(len(labelled))] for s, (_, acc) in found.items()],
    )
    result = [("Validation " + metric + " per stage (mean ± std over seeds)", curve_table)]
    if "random" not in found:
        return result, []
    full = float(labelled[-1])
    needed = labels_needed(found)
    target = found["random"][1][:, -1]
    saved_rows, words, differences = [], [], []
    for strategy, n in needed.items():
        saved = paired_difference(np.full(len(n), full), n)
        final = paired_difference(found[strategy][1][:, -1], found["random"][1][:, -1])
        mean, low, high = mean_ci(n)
        reached = int(np.isfinite(n).sum())
        saved_rows.append(
            [
                strategy,
                f"{reached} of {len(n)}",
                number(mean, 0),
                "n/a" if math.isnan(low) else f"{low:.0f} to {high:.0f}",
                number(saved.mean, 0),
                "n/a" if math.isnan(saved.ci_low) else f"{saved.ci_low:+.0f} to {saved.ci_high:+.0f}",
                number(saved.p_value, 3),
            ]
        )
        if strategy != "random":
            differences += [
                (f"{strategy} - random", "labels saved vs random", saved),
                (f"{strategy} - random", f"final {metric} - random", final),
            ]
        if reached == 0:
            words.append(
                f"- {strategy} never reached random's full-budget {metric} "
                f"({target.mean():.3f} on average) within {full:.0f} labelled images."
            )
            continue
        never = f"; it never reached it in {len(n) - reached} of {len(n)} seeds" if reached < len(n) else ""
        interval = "" if math.isnan(saved.ci_low) else f", 95 % CI {saved.ci_low:+.0f} to {saved.ci_high:+.0f}"
        words.append(
            f"- {strategy} reached random's full-budget {metric} with {mean:.0f} labelled images on "
            f"average over the {reached} seeds that reached it, {saved.mean:+.0f} labels vs random's "
            f"{full:.0f}{interval}, p = {number(saved.p_value, 2)}"
            f" ({'significant' if saved.significant else 'not significant'}){never}."
        )
    result += [
        (
            "Labels saved vs random",
            markdown_table(
                [
                    "strategy",
                    "reached random's final accuracy",
                    "labels needed (mean)",
                    "95 % CI",
                    "labels saved vs random",
                    "95 % CI (t)",
                    "Wilcoxon p",
                ],
                saved_rows,
            )
            + f"\n\nTarget: each seed's random accuracy with its full budget of {full:.0f} labelled images "
            f"({mean_std(target)}); the curve is interpolated linearly between stages; a seed that never reaches "
            "the target is counted, not used in the mean. Random's own row measures the noise of the curve.",
        ),
        (
            "Paired differences vs random",
            markdown_table(DIFFERENCE_HEADER, [difference_row(label, title, d) for label, title, d in differences]),
        ),
        ("In words", "\n".join(words)),
        (
            "Plots",
            "- `curve.png`: validation accuracy against labelled images, mean ± std over seeds\n"
            "- `differences.png`: labels saved and final accuracy vs random with 95 % intervals\n"
            "- `scatter.png`: each strategy's score against the true loss, seed 0's first stage\n"
            "- `gamma.png`: the Gamma fit of seed 0's first-stage pool losses",
        ),
    ]
    return result, differences


def run(config: ExperimentConfig, *, command: str = "") -> list[dict]:
    unknown = [s for s in config.strategies if s not in STRATEGY_SPECS]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; known: {', '.join(STRATEGY_SPECS)}")
    if config.cycles < 2:
        raise ValueError("a learning curve needs at least 2 cycles")
    started, load_before = time.perf_counter(), machine_load()
    results = run_seeds(run_seed, config, total_epochs=planned_epochs(config), desc="learning curve")
    rows = sorted(
        (r for result in results for r in result.rows),
        key=lambda r: (config.strategies.index(r["strategy"]), r["seed"], r["stage"]),
    )
    out = Path(config.out)
    write_csv(rows, out / "runs.csv")
    text, differences = sections(rows, config)
    found = curves(rows, config.strategies)
    target = found["random"][1][:, -1].mean() if "random" in found else math.nan
    plot_curve(found, target, out / "curve.png", metric_name(config.dataset))
    if differences:
        plot_differences(differences, out / "differences.png", "Learning curve vs random")
    plot_scatter(results[0].plots["scatter"], out / "scatter.png", "Score vs true loss, seed 0's first stage")
    fits = [(r.plots["gamma_k"], r.plots["gamma_theta"]) for r in results]
    plot_gamma(results[0].plots["true_loss"], fits, out / "gamma.png", "First-stage pool losses and their Gamma fit")
    write_results(
        out / "results.md",
        title="Learning curve",
        command=command,
        config=config,
        seconds=time.perf_counter() - started,
        load_before=load_before,
        sections=text,
    )
    print((out / "results.md").read_text())
    return rows


if __name__ == "__main__":
    config = parse_args(presets=PRESETS, doc=__doc__, strategies=STRATEGIES, out="experiments-out/learning_curve")
    run(config, command=command_line("ml.experiments.learning_curve", sys.argv[1:]))
