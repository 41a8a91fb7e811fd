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
import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Optional

from tqdm import tqdm

from ml.experiments.protocol import ExperimentConfig, run_seed, run_seed_in_worker
from ml.experiments.report import format_table, plot, summarise, write_csv
from ml.experiments.sources import metric_name
from ml.strategies import STRATEGY_SPECS

# A few minutes on 2 CPU cores: a 32-channel hg-tiny learns enough in 12 epochs for the heads to
# rank, and the two seeds run side by side.
QUICK = dict(cycles=2, budget=100, seeds=2, initial=250, pool=600, val=150, epochs=12, warm_epochs=3,
             channels=32, workers=2)


def planned_epochs(config: ExperimentConfig) -> int:
    """Training epochs the run will do, counting shared first cycles once (for the progress bar)."""
    first = {(STRATEGY_SPECS[s].objective, STRATEGY_SPECS[s].head) for s in config.strategies}
    per_seed = len(first) * config.epochs + len(config.strategies) * (config.cycles - 1) * config.warm_epochs
    return per_seed * config.seeds


def _run_parallel(config: ExperimentConfig, on_epoch: Callable[[str], None]) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(config.workers, mp_context=context) as pool:
        status = manager.Queue()
        futures = [pool.submit(run_seed_in_worker, config, seed, status) for seed in range(config.seeds)]
        while not all(f.done() for f in futures) or not status.empty():
            try:
                on_epoch(status.get(timeout=0.5))
            except queue.Empty:
                pass
        return [row for future in futures for row in future.result()]


def run(config: ExperimentConfig) -> list[dict]:
    unknown = [s for s in config.strategies if s not in STRATEGY_SPECS]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; known: {', '.join(STRATEGY_SPECS)}")
    with tqdm(total=planned_epochs(config), unit="epoch", desc="failure detection") as bar:
        def on_epoch(text: str) -> None:
            bar.set_postfix_str(text, refresh=False)
            bar.update(1)

        if config.workers > 1 and config.seeds > 1:
            rows = _run_parallel(config, on_epoch)
        else:
            rows = [row for seed in range(config.seeds) for row in run_seed(config, seed, on_epoch)]
    rows.sort(key=lambda r: (config.strategies.index(r["strategy"]), r["seed"], r["stage"]))
    out = Path(config.out)
    summary = summarise(rows)
    metric = metric_name(config.dataset)
    write_csv(rows, out / "runs.csv")
    write_csv(summary, out / "summary.csv")
    plot(summary, out / "failure_detection.png", metric)
    table = format_table(summary, metric)
    (out / "table.txt").write_text(table + "\n")
    print(table)
    print(f"wrote {out / 'runs.csv'}, {out / 'summary.csv'}, {out / 'failure_detection.png'}")
    return rows

def parse_args(argv: Optional[list[str]] = None) -> ExperimentConfig:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["synthetic", "lsp", "mpii"])
    parser.add_argument("--data-dir")
    parser.add_argument("--strategies", help=f"comma-separated, from {', '.join(STRATEGY_SPECS)}")
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
