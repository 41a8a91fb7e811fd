"""What both experiments write: runs.csv, results.md (tables, command, commit, run time, load) and plots."""

import csv
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.stats import PairedDifference

# Keeps every plot well under 300 KB.
DPI = 100


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def number(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def mean_std(values: Sequence[float], digits: int = 3) -> str:
    """'mean ± std' over the finite values, with the count of undefined ones when there are any."""
    x = np.asarray(values, dtype=np.float64)
    finite = x[np.isfinite(x)]
    if not len(finite):
        return f"undefined in {len(x)}"
    std = finite.std(ddof=1) if len(finite) > 1 else math.nan
    text = f"{finite.mean():.{digits}f} ± {number(std, digits)}"
    return text + (f" ({len(x) - len(finite)} undefined)" if len(finite) < len(x) else "")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def difference_row(label: str, metric: str, d: PairedDifference, digits: int = 3) -> list[str]:
    interval = "n/a" if math.isnan(d.ci_low) else f"{d.ci_low:+.{digits}f} to {d.ci_high:+.{digits}f}"
    return [
        label,
        metric,
        f"{d.n}" + (f" (+{d.undefined} undefined)" if d.undefined else ""),
        f"{d.mean:+.{digits}f} ± {number(d.std, digits)}",
        interval,
        number(d.p_value, 3),
        f"{d.positive} / {d.negative}",
        "yes" if d.significant else "no",
    ]


DIFFERENCE_HEADER = [
    "comparison",
    "metric",
    "seeds",
    "mean ± std",
    "95 % CI (t)",
    "Wilcoxon p",
    "seeds + / -",
    "significant",
]


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min) on {os.cpu_count()} cores"


def git_commit() -> str:
    """HEAD, marked '+ uncommitted changes' when the work tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def write_results(
    path: Path, *, title: str, command: str, config, seconds: float, load_before: str, sections: list[tuple[str, str]]
) -> None:
    """results.md: what ran (command, commit, config, time, load) and then each (heading, body) section."""
    import torch

    lines = [
        f"# {title}",
        "",
        "## Run",
        "",
        f"- command: `{command}`",
        f"- git commit: `{git_commit()}`",
        f"- run time: {seconds / 60:.1f} min ({seconds:.0f} s)",
        f"- machine: {platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}, "
        f"{config.workers} worker process(es) x {max(1, (os.cpu_count() or 1) // config.workers)} thread(s)",
        f"- machine load at start: {load_before}",
        f"- machine load at end: {machine_load()}",
        f"- config: `{config}`",
        "",
    ]
    for heading, body in sections:
        lines += [f"## {heading}", "", body.rstrip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def plot_differences(differences: list[tuple[str, str, PairedDifference]], path: Path, title: str) -> None:
    """One panel per metric: each comparison's mean difference with its 95 % interval, and zero."""
    plt = _pyplot()
    metrics = list(dict.fromkeys(metric for _, metric, _ in differences))
    rows = max(sum(m == metric for _, m, _ in differences) for metric in metrics)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 1.2 + 0.45 * rows), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=False):
        entries = [(label, d) for label, m, d in differences if m == metric]
        for y, (_label, d) in enumerate(entries):
            low, high = (d.mean, d.mean) if math.isnan(d.ci_low) else (d.ci_low, d.ci_high)
            color = "tab:red" if d.significant else "tab:blue"
            ax.errorbar(d.mean, y, xerr=[[d.mean - low], [high - d.mean]], fmt="o", color=color, capsize=4)
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(range(len(entries)), [label for label, _ in entries], fontsize=8)
        ax.set_ylim(-0.7, len(entries) - 0.3)
        ax.invert_yaxis()
        ax.set_title(metric, fontsize=9)
    fig.suptitle(title + " (95 % t interval over seeds; red = significant)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    _save(fig, path, plt)


def plot_scatter(points: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, title: str) -> None:
    """One panel per strategy: its pool score against each image's true loss (log scale)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(points), figsize=(3.2 * len(points), 3.2), squeeze=False)
    for ax, (strategy, (score, true_loss)) in zip(axes[0], points.items(), strict=False):
        ax.scatter(true_loss, score, s=3, alpha=0.4, rasterized=True)
        ax.set_xscale("log")
        ax.set_title(strategy, fontsize=9)
        ax.set_xlabel("true loss", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("score (predicted loss, entropy or -rank)", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path, plt)


def plot_gamma(true_loss: np.ndarray, fits: list[tuple[float, float]], path: Path, title: str) -> None:
    """Histogram of one seed's pool losses with its fitted Gamma density; every seed's (k, theta) listed."""
    from scipy import stats

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.hist(true_loss, bins=60, density=True, alpha=0.6, label="pool true loss (seed 0)")
    k, theta = fits[0]
    if math.isfinite(k):
        x = np.linspace(max(true_loss.min(), 1e-9), true_loss.max(), 300)
        ax.plot(x, stats.gamma.pdf(x, k, scale=theta), color="tab:red", label=f"Gamma k={k:.2f}, θ={theta:.3g}")
    listing = "\n".join(f"seed {i}: k={a:.3g}, θ={b:.3g}" for i, (a, b) in enumerate(fits))
    ax.text(0.98, 0.6, listing, transform=ax.transAxes, ha="right", va="top", fontsize=7)
    ax.set_xlabel("per-image heatmap loss")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path, plt)


def plot_curve(curves: dict[str, tuple[np.ndarray, np.ndarray]], target: float, path: Path, metric: str) -> None:
    """Validation accuracy against labelled images: mean ± std band over seeds per strategy."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for strategy, (labelled, accuracy) in curves.items():
        mean, std = accuracy.mean(axis=0), accuracy.std(axis=0, ddof=1) if len(accuracy) > 1 else 0 * accuracy[0]
        ax.plot(labelled, mean, marker="o", label=strategy)
        ax.fill_between(labelled, mean - std, mean + std, alpha=0.15)
    ax.axhline(target, color="grey", ls="--", lw=0.8, label="random, full budget")
    ax.set_xlabel("labelled images")
    ax.set_ylabel(f"validation {metric}")
    ax.legend(fontsize=8)
    ax.set_title(f"Learning curve (mean ± std over {len(next(iter(curves.values()))[1])} seeds)", fontsize=9)
    fig.tight_layout()
    _save(fig, path, plt)


def _save(fig, path: Path, plt) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
