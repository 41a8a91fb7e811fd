"""Training: the pose network with its loss heads, then the heads alone on the converged network; exact resume.

The authors' recipe (Shukla & Ahmed, experiment code of June 2021): one Adam whose head group keeps a
constant rate while the pose network's rate decays, heads that read detached features, and an optional
phase that trains the heads alone on a converged network. The authors run that phase with the pose
loss multiplied by 0 and the network still in train mode; here it runs under no_grad in eval mode, so
BatchNorm's running statistics, and with them the network the heads learn to judge, stay as trained.
"""

import dataclasses
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR, LRScheduler, ReduceLROnPlateau
from torch.utils.data import DataLoader, Dataset

from ml.checkpoint import capture_rng, load_checkpoint, restore_rng, save_checkpoint
from ml.losses import OBJECTIVES, head_objective, per_image_heatmap_loss
from ml.models import PoseModel, run_head
from ml.precision import autocast_for

__all__ = ["OBJECTIVES", "SCHEDULES", "FitResult", "Progress", "SideHead", "TrainConfig", "fit"]

SCHEDULES = ("cosine", "plateau", "constant")
# A cosine schedule ends at this fraction of the initial rate.
COSINE_FLOOR = 0.01


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 15  # pose phase: network and heads together (heads on detached features)
    head_epochs: int = 0  # head phase: then the heads alone on the frozen network (eval mode)
    batch_size: int = 32
    lr: float = 1e-3  # the pose network's initial rate
    head_lr: float = 3e-4  # every head's rate, constant through both phases
    schedule: str = "cosine"  # pose rate over `epochs`: "cosine" (to 0.01 lr), "plateau", "constant"
    weight_decay: float = 0.0
    objective: str = "ll_plus_plus"  # the model's own head: "ll_plus_plus" or "learning_loss"
    loss_weight: float = 1.0  # weight of each head term in the total loss
    margin: float = 1.0  # Learning Loss margin
    num_workers: int = 0
    seed: int = 0
    progress_every: int = 10  # steps between progress reports (plus one per epoch end)

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; expected one of {SCHEDULES}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; expected one of {OBJECTIVES}")
        if self.epochs < 0 or self.head_epochs < 0:
            raise ValueError(f"epochs and head_epochs must be >= 0, got {self.epochs} and {self.head_epochs}")


@dataclass
class SideHead:
    """A loss head trained beside the model's own on the same detached features, with its own objective.

    module: a head from ml.models.create_head (called as module(pooled, scales) -> [B]); objective: one
    of OBJECTIVES. Features are detached, so this equals a separate run on an identical network.
    """

    module: nn.Module
    objective: str

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; expected one of {OBJECTIVES}")


@dataclass(frozen=True)
class Progress:
    phase: str  # "pose" (network and heads) or "head" (heads alone)
    epoch: int  # 1-based epoch within the phase
    epochs: int  # epochs of this phase
    step: int  # steps done in this epoch
    steps: int  # steps per epoch
    losses: dict[str, float]  # running means over this epoch: pose, head, head:<side head>..., total
    eta_s: float  # estimated seconds left for this fit call, both phases
    epoch_end: bool


@dataclass
class FitResult:
    epochs: int  # epochs completed in total: config.epochs + config.head_epochs
    start_epoch: int  # of those, done before this call began (resume)
    # One row per epoch, pose phase first: "phase" ("pose" or "head") and the epoch's mean losses by name.
    history: list[dict[str, float | str]] = field(default_factory=list)
    seconds: float = 0.0


def _seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _optimizer(model: PoseModel, heads: Mapping[str, SideHead], config: TrainConfig) -> torch.optim.Adam:
    """One Adam, group 0 the pose network at lr, then one group per head at head_lr."""
    groups = [{"params": list(model.backbone.parameters()), "lr": config.lr}]
    groups += [{"params": list(head.module.parameters()), "lr": config.head_lr} for head in heads.values()]
    return torch.optim.Adam(groups, weight_decay=config.weight_decay)


def _scheduler(optimizer: torch.optim.Adam, config: TrainConfig) -> LRScheduler:
    """Moves group 0 (the pose network) once per pose epoch; the head groups stay at head_lr."""
    heads = len(optimizer.param_groups) - 1
    if config.schedule == "plateau":
        # ReduceLROnPlateau would halve every group; a floor at head_lr holds the head groups where they are.
        return ReduceLROnPlateau(optimizer, factor=0.5, patience=2, min_lr=[0.0] + [config.head_lr] * heads)
    last = max(config.epochs - 1, 1)

    def pose_factor(epoch: int) -> float:
        if config.schedule == "constant":
            return 1.0
        # Cosine from lr at the first epoch to COSINE_FLOOR * lr at the last one.
        return COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + math.cos(math.pi * min(epoch, last) / last))

    return LambdaLR(optimizer, [pose_factor] + [lambda epoch: 1.0] * heads)


def _step(
    model: PoseModel, heads: Mapping[str, SideHead], batch: dict, phase: str, config: TrainConfig, device: torch.device
) -> dict[str, torch.Tensor]:
    """One forward of the network and every head; scalar losses by name: pose, each head, total (what to
    backpropagate: the pose loss, in the pose phase only, plus loss_weight times every head's loss)."""
    images = batch["image"].to(device, non_blocking=True)
    targets = batch["heatmaps"].to(device, non_blocking=True)
    weight = batch["weight"].to(device, non_blocking=True)
    with torch.set_grad_enabled(phase == "pose"), autocast_for(device):
        heatmaps, pooled, scales = model.encode(images)
    true_loss = per_image_heatmap_loss(heatmaps, targets, weight)
    losses = {"pose": true_loss.mean()}
    for name, head in heads.items():
        objective = head_objective(head.objective, margin=config.margin)
        losses[name] = objective(run_head(head.module, pooled, scales), true_loss.detach())
    head_total = config.loss_weight * sum(losses[name] for name in heads)
    losses["total"] = losses["pose"] + head_total if phase == "pose" else head_total
    return losses


class _Epoch(NamedTuple):
    phase: str  # "pose" or "head"
    index: int  # 0-based within the phase
    count: int  # epochs of the phase


class _Reporter:
    """Progress reports, with an ETA from the seconds per step of each phase measured in this call.

    A head step runs the network forward only, about a third of a pose step (forward and backward);
    that ratio stands in for a phase not measured yet.
    """

    def __init__(self, progress: Callable[[Progress], None] | None, every: int, steps: int, plan: list[_Epoch]):
        self.progress, self.every, self.steps = progress, every, steps
        self.steps_left = {phase: steps * sum(e.phase == phase for e in plan) for phase in ("pose", "head")}
        self.seconds = {"pose": 0.0, "head": 0.0}
        self.done = {"pose": 0, "head": 0}
        self.started = self.last = time.perf_counter()

    def step(self, epoch: _Epoch, step: int, losses: dict[str, float]) -> None:
        """Count a step of epoch's phase; report the running mean losses every `every` steps and at the last."""
        now = time.perf_counter()
        self.seconds[epoch.phase] += now - self.last
        self.done[epoch.phase] += 1
        self.steps_left[epoch.phase] -= 1
        self.last = now
        if step % self.every == 0 or step == self.steps:
            self._report(epoch, step, losses, epoch_end=False)

    def epoch_end(self, epoch: _Epoch, losses: dict[str, float]) -> None:
        self._report(epoch, self.steps, losses, epoch_end=True)

    def _report(self, epoch: _Epoch, step: int, losses: dict[str, float], *, epoch_end: bool) -> None:
        if self.progress is None:
            return
        rate = {phase: self.seconds[phase] / n for phase, n in self.done.items() if n}
        pose = rate.get("pose", 3 * rate.get("head", 0.0))
        eta = self.steps_left["pose"] * pose + self.steps_left["head"] * rate.get("head", pose / 3)
        self.progress(
            Progress(
                phase=epoch.phase,
                epoch=epoch.index + 1,
                epochs=epoch.count,
                step=step,
                steps=self.steps,
                losses=losses,
                eta_s=eta,
                epoch_end=epoch_end,
            )
        )


def _train_epoch(
    model: PoseModel,
    heads: Mapping[str, SideHead],
    optimizer: torch.optim.Optimizer,
    loader: DataLoader,
    epoch: _Epoch,
    config: TrainConfig,
    device: torch.device,
    reporter: _Reporter,
) -> dict[str, float]:
    """One epoch of epoch.phase; returns its mean losses by name."""
    model.train(epoch.phase == "pose")
    for head in heads.values():
        head.module.train()
    sums: dict[str, float] = {}
    for step, batch in enumerate(loader, start=1):
        losses = _step(model, heads, batch, epoch.phase, config, device)
        optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        optimizer.step()
        for name, value in losses.items():
            sums[name] = sums.get(name, 0.0) + value.item()
        if not math.isfinite(sums["total"]):
            raise FloatingPointError(f"non-finite loss in {epoch.phase} epoch {epoch.index + 1} step {step}")
        reporter.step(epoch, step, {k: v / step for k, v in sums.items()})
    return {k: v / max(len(loader), 1) for k, v in sums.items()}


def fit(
    model: PoseModel,
    train_dataset: Dataset,
    *,
    config: TrainConfig,
    device: str | torch.device,
    checkpoint_path: str | Path | None = None,
    resume: bool = True,
    warm_start: Mapping[str, torch.Tensor] | None = None,
    progress: Callable[[Progress], None] | None = None,
    side_heads: Mapping[str, SideHead] | None = None,
) -> FitResult:
    """Train config.epochs epochs of network and heads, then config.head_epochs of the heads alone.

    Seeds torch, numpy and python RNGs from config.seed. warm_start is a state dict of the model
    loaded before training (side heads start as given). side_heads train beside model.head in both
    phases, each in its own optimiser group at head_lr; their losses are reported as "head:<name>".
    With checkpoint_path, an atomic checkpoint (model, side heads, optimiser, scheduler, epochs done,
    phase, all RNG states) is written after every epoch; with resume=True an existing one is loaded and
    training continues exactly where it stopped, in either phase (it supersedes warm_start). The model
    is left in eval mode on device, the side heads on device.
    """
    device = torch.device(device)
    side_heads = dict(side_heads or {})
    # The model's own head trains like a side head; "head:" keeps side heads' names apart from pose and total.
    heads = {"head": SideHead(model.head, config.objective)} | {f"head:{n}": s for n, s in side_heads.items()}
    _seed(config.seed)
    if warm_start is not None:
        model.load_state_dict(warm_start)
    model.to(device)
    for side in side_heads.values():
        side.module.to(device)
    optimizer = _optimizer(model, heads, config)
    scheduler = _scheduler(optimizer, config)
    generator = torch.Generator().manual_seed(config.seed)
    # A last batch of one or two images would give BatchNorm and the pair losses almost nothing.
    loader = DataLoader(
        train_dataset,
        batch_size=config.batch_size,
        shuffle=True,
        generator=generator,
        drop_last=len(train_dataset) >= config.batch_size,
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
    )
    start_epoch, history = 0, []
    if checkpoint_path is not None and resume and Path(checkpoint_path).exists():
        state = load_checkpoint(checkpoint_path)
        model.load_state_dict(state["model"])
        for name, side in side_heads.items():
            side.module.load_state_dict(state["side_heads"][name])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, history = state["epoch"], list(state["history"])
        restore_rng(state["rng"], generator, device)

    plan = [_Epoch("pose", e, config.epochs) for e in range(config.epochs)]
    plan += [_Epoch("head", e, config.head_epochs) for e in range(config.head_epochs)]
    reporter = _Reporter(progress, config.progress_every, len(loader), plan[start_epoch:])
    for done, epoch in enumerate(plan[start_epoch:], start=start_epoch + 1):
        means = _train_epoch(model, heads, optimizer, loader, epoch, config, device, reporter)
        history.append({"phase": epoch.phase, **means})
        if epoch.phase == "pose" and config.schedule == "plateau":
            # The epoch's mean training pose loss: the authors watch a validation loss, which fit is not given.
            scheduler.step(means.get("pose", math.inf))
        elif epoch.phase == "pose":
            scheduler.step()
        if checkpoint_path is not None:
            save_checkpoint(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "side_heads": {name: side.module.state_dict() for name, side in side_heads.items()},
                    "scheduler": scheduler.state_dict(),
                    "epoch": done,
                    "phase": epoch.phase,
                    "history": history,
                    "config": dataclasses.asdict(config),
                    "rng": capture_rng(generator, device),
                },
                checkpoint_path,
            )
        reporter.epoch_end(epoch, means)
    model.eval()
    return FitResult(
        epochs=len(plan), start_epoch=start_epoch, history=history, seconds=time.perf_counter() - reporter.started
    )
