"""Run one function per seed, in parallel worker processes when asked, behind a tqdm bar."""

import contextlib
import dataclasses
import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm import tqdm

from ml.experiments.protocol import ExperimentConfig


@dataclass
class SeedResult:
    rows: list[dict]  # one per strategy and stage
    plots: dict[str, Any] = field(default_factory=dict)  # arrays the plots need (seed 0 only)


SeedFunction = Callable[[ExperimentConfig, int, Callable[[str], None]], SeedResult]


def _in_worker(function: SeedFunction, config: ExperimentConfig, seed: int, status) -> SeedResult:
    # One process per seed, the cores split between them: threads inside a process synchronise
    # on every small convolution, separate processes do not.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // config.workers))
    return function(config, seed, status.put)


def run_seeds(function: SeedFunction, config: ExperimentConfig, *, total_epochs: int, desc: str) -> list[SeedResult]:
    """function(config, seed, on_epoch) for every seed, in seed order; on_epoch advances the bar."""
    with tqdm(total=total_epochs, unit="epoch", desc=desc) as bar:

        def on_epoch(text: str) -> None:
            bar.set_postfix_str(text, refresh=False)
            bar.update(1)

        if config.workers <= 1 or config.seeds <= 1:
            return [function(config, seed, on_epoch) for seed in range(config.seeds)]
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, ProcessPoolExecutor(config.workers, mp_context=context) as pool:
            status = manager.Queue()
            futures = [pool.submit(_in_worker, function, config, seed, status) for seed in range(config.seeds)]
            while not all(f.done() for f in futures) or not status.empty():
                with contextlib.suppress(queue.Empty):
                    on_epoch(status.get(timeout=0.5))
            return [future.result() for future in futures]


def apply_overrides(config: ExperimentConfig, preset: dict, overrides: dict[str, Any | None]) -> ExperimentConfig:
    """The preset's values, then every flag that was given."""
    values = dict(preset)
    for name, value in overrides.items():
        if value is not None:
            values[name] = tuple(value.split(",")) if name == "strategies" else value
    return dataclasses.replace(config, **values)
