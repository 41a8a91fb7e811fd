"""Joint training of the pose network and its loss-prediction head, with exact resume."""
import dataclasses
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ml.checkpoint import capture_rng, load_checkpoint, restore_rng, save_checkpoint
from ml.losses import learning_loss, ll_plus_plus_loss, per_image_heatmap_loss
from ml.models import PoseModel
from ml.precision import autocast_for

__all__ = ["FitResult", "Progress", "TrainConfig", "fit", "load_checkpoint", "save_checkpoint"]

OBJECTIVES = ("ll_plus_plus", "learning_loss")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 15
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_milestones: tuple[int, ...] = ()      # epochs (0-based) from which lr is multiplied by 0.1 again
    objective: str = "ll_plus_plus"          # head objective: "ll_plus_plus" or "learning_loss"
    loss_weight: float = 1.0                 # weight of the head term in the total loss
    margin: float = 1.0                      # Learning Loss margin
    num_workers: int = 0
    seed: int = 0
    progress_every: int = 10                 # steps between progress reports (plus one per epoch end)


@dataclass(frozen=True)
class Progress:
    epoch: int                   # 1-based epoch being trained
    epochs: int
    step: int                    # steps done in this epoch
    steps: int                   # steps per epoch
    losses: dict[str, float]     # running means over this epoch: pose, head, total
    eta_s: float                 # estimated seconds left for this fit call
    epoch_end: bool


@dataclass
class FitResult:
    epochs: int                                  # epochs completed in total
    start_epoch: int                             # epochs already done when this call began (resume)
    history: list[dict[str, float]] = field(default_factory=list)   # per epoch mean losses
    seconds: float = 0.0


def _head_objective(config: TrainConfig) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if config.objective == "ll_plus_plus":
        return ll_plus_plus_loss
    if config.objective == "learning_loss":
        return lambda pred, true: learning_loss(pred, true, margin=config.margin)
    raise ValueError(f"unknown objective {config.objective!r}; expected one of {OBJECTIVES}")


def _lr_at(config: TrainConfig, epoch: int) -> float:
    return config.lr * 0.1 ** sum(epoch >= m for m in config.lr_milestones)


def _seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _step(model: PoseModel, batch: dict, objective, config: TrainConfig, device: torch.device):
    """One forward and the three losses (scalars): pose, head, total."""
    images = batch["image"].to(device, non_blocking=True)
    targets = batch["heatmaps"].to(device, non_blocking=True)
    weight = batch["weight"].to(device, non_blocking=True)
    with autocast_for(device):
        out = model(images)
    true_loss = per_image_heatmap_loss(out.heatmaps, targets, weight)
    pose = true_loss.mean()
    head = objective(out.loss.float(), true_loss.detach())
    return pose, head, pose + config.loss_weight * head


def fit(model: PoseModel, train_dataset: Dataset, *, config: TrainConfig, device: Union[str, torch.device],
        checkpoint_path: Optional[Union[str, Path]] = None, resume: bool = True,
        warm_start: Optional[Mapping[str, torch.Tensor]] = None,
        progress: Optional[Callable[[Progress], None]] = None) -> FitResult:
    """Train pose network and head together for config.epochs epochs; returns a FitResult.

    Seeds torch, numpy and python RNGs from config.seed. warm_start is a state dict loaded before
    training. With checkpoint_path, an atomic checkpoint (model, optimiser, epoch, all RNG states) is
    written after every epoch; with resume=True an existing one is loaded and training continues
    exactly where it stopped (it supersedes warm_start). The model is left in eval mode on device.
    """
    device = torch.device(device)
    objective = _head_objective(config)
    _seed(config.seed)
    if warm_start is not None:
        model.load_state_dict(warm_start)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    # A last batch of one or two images would give BatchNorm and the pair losses almost nothing.
    loader = DataLoader(train_dataset, batch_size=config.batch_size, shuffle=True, generator=generator,
                        drop_last=len(train_dataset) >= config.batch_size, num_workers=config.num_workers,
                        pin_memory=device.type == "cuda")
    start_epoch, history = 0, []
    if checkpoint_path is not None and resume and Path(checkpoint_path).exists():
        state = load_checkpoint(checkpoint_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, history = state["epoch"], list(state["history"])
        restore_rng(state["rng"], generator, device)

    steps = len(loader)
    total_steps = max((config.epochs - start_epoch) * steps, 1)
    started, done_steps = time.perf_counter(), 0
    for epoch in range(start_epoch, config.epochs):
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(config, epoch)
        model.train()
        sums = {"pose": 0.0, "head": 0.0, "total": 0.0}
        for step, batch in enumerate(loader, start=1):
            pose, head, total = _step(model, batch, objective, config, device)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            for name, value in (("pose", pose), ("head", head), ("total", total)):
                sums[name] += value.item()
            done_steps += 1
            if not math.isfinite(sums["total"]):
                raise FloatingPointError(f"non-finite loss at epoch {epoch + 1} step {step}")
            if progress is not None and (step % config.progress_every == 0 or step == steps):
                elapsed = time.perf_counter() - started
                progress(Progress(epoch=epoch + 1, epochs=config.epochs, step=step, steps=steps,
                                  losses={k: v / step for k, v in sums.items()},
                                  eta_s=elapsed / done_steps * (total_steps - done_steps),
                                  epoch_end=False))
        history.append({k: v / max(steps, 1) for k, v in sums.items()})
        if checkpoint_path is not None:
            save_checkpoint({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                             "epoch": epoch + 1, "history": history, "config": dataclasses.asdict(config),
                             "rng": capture_rng(generator, device)}, checkpoint_path)
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(Progress(epoch=epoch + 1, epochs=config.epochs, step=steps, steps=steps,
                              losses=dict(history[-1]),
                              eta_s=elapsed / max(done_steps, 1) * (total_steps - done_steps), epoch_end=True))
    model.eval()
    return FitResult(epochs=config.epochs, start_epoch=start_epoch, history=history,
                     seconds=time.perf_counter() - started)
