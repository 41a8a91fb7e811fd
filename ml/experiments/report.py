"""The failure-detection table: aggregate per strategy and stage over seeds, print, CSV and plot."""
import csv
from pathlib import Path

import numpy as np

METRICS = {
    "selected_pck": "PCK of selected (lower = failures found)",
    "spearman": "Spearman(pred, true loss) on pool",
    "val_pck": "validation PCK",
}


def _mean_std(values: list[float]) -> tuple[float, float]:
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0


def summarise(rows: list[dict]) -> list[dict]:
    """One row per (strategy, stage): mean and std over seeds of each metric, in first-seen order."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["strategy"], row["stage"]), []).append(row)
    summary = []
    for (strategy, stage), members in groups.items():
        entry = {"strategy": strategy, "stage": stage, "labelled": members[0]["labelled"], "seeds": len(members)}
        for metric in METRICS:
            entry[f"{metric}_mean"], entry[f"{metric}_std"] = _mean_std([m[metric] for m in members])
        summary.append(entry)
    return summary


def format_table(summary: list[dict], metric_name: str) -> str:
    """A fixed-width text table, mean ± std over seeds."""
    header = ["strategy", "stage", "labelled"] + [METRICS[m] for m in METRICS]
    lines = [[s["strategy"], str(s["stage"]), str(s["labelled"])]
             + [f"{s[f'{m}_mean']:.3f} ± {s[f'{m}_std']:.3f}" for m in METRICS] for s in summary]
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    title = f"Failure detection ({metric_name}; mean ± std over {summary[0]['seeds'] if summary else 0} seeds)"
    return "\n".join([title, fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in lines])


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(summary: list[dict], path: Path, metric_name: str) -> None:
    """One panel per metric, one line per strategy over stages, error bars = std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(5 * len(METRICS), 4))
    for ax, metric in zip(axes, METRICS):
        for strategy in dict.fromkeys(s["strategy"] for s in summary):
            points = [s for s in summary if s["strategy"] == strategy]
            ax.errorbar([p["stage"] for p in points], [p[f"{metric}_mean"] for p in points],
                        yerr=[p[f"{metric}_std"] for p in points], marker="o", capsize=3, label=strategy)
        ax.set_title(METRICS[metric].replace("PCK", metric_name.split()[0]), fontsize=10)
        ax.set_xlabel("stage")
        ax.set_xticks(sorted({s["stage"] for s in summary}))
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
