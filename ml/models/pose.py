"""PoseModel: a stacked hourglass plus a loss-prediction head, configured by one dataclass."""

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ml.models.heads import ConvHead, GapHead
from ml.models.hourglass import StackedHourglass

HEADS = ("gap", "conv")


@dataclass(frozen=True)
class PoseConfig:
    nstack: int = 2
    channels: int = 256
    depth: int = 4
    input_size: int = 256
    num_keypoints: int = 14
    head: str = "gap"  # "gap" or "conv" (LL++conv)
    dropout: float = 0.0  # before each heatmap layer; > 0 enables MC-dropout scoring

    @property
    def heatmap_size(self) -> int:
        return self.input_size // 4


class PoseOutput(NamedTuple):
    heatmaps: torch.Tensor  # [B, nstack, K, S/4, S/4], in the forward's precision (bf16 under autocast)
    loss: torch.Tensor  # [B] predicted loss, float32
    features: torch.Tensor  # [B, C] pooled last-stack features (coreset, the gap head), float32
    scales: list[torch.Tensor]  # the last hourglass's outputs, finest first: [B,C,S/4,S/4] ... (the conv head)


def create_head(kind: str, config: PoseConfig) -> nn.Module:
    """A fresh loss-prediction head of `kind` ("gap" or "conv") for networks built from `config`.

    Every head is called as head(pooled [B,C], scales [[B,C,h,w], ...]) -> predicted loss [B].
    """
    if kind == "gap":
        return GapHead(config.channels)
    if kind == "conv":
        return ConvHead(config.channels, config.depth + 1, config.heatmap_size // 2**config.depth)
    raise ValueError(f"unknown head {kind!r}: expected one of {HEADS}")


def run_head(head: nn.Module, pooled: torch.Tensor, scales: list[torch.Tensor]) -> torch.Tensor:
    """head(pooled, scales) -> [B] in float32, with autocast off even inside an autocast region.

    Predicted losses only matter through their ranking, and bf16 keeps 8 significant bits: many
    images of a pool would share one predicted loss and the top-k among them would be arbitrary.
    The heads cast their (detached) inputs to float32 themselves.
    """
    with torch.autocast(pooled.device.type, enabled=False):
        return head(pooled, scales)


class PoseModel(nn.Module):
    """The network and its head under the state-dict keys backbone.* and head.*."""

    def __init__(self, config: PoseConfig, *, backbone: StackedHourglass | None = None, head: nn.Module | None = None):
        """backbone and head, when given, are used as they are (shared, not copied); see with_head."""
        super().__init__()
        if config.input_size % (4 * 2**config.depth):
            raise ValueError(f"input_size {config.input_size} must be divisible by 4 * 2**depth")
        if config.head not in HEADS:
            raise ValueError(f"unknown head {config.head!r}: expected one of {HEADS}")
        self.config = config
        if backbone is None:
            backbone = StackedHourglass(
                nstack=config.nstack,
                channels=config.channels,
                depth=config.depth,
                num_keypoints=config.num_keypoints,
                dropout=config.dropout,
            )
        self.backbone = backbone
        self.head = create_head(config.head, config) if head is None else head

    def with_head(self, head: nn.Module, kind: str) -> "PoseModel":
        """A model on this model's backbone (the same parameter objects) that predicts the loss with
        `head`, a head of `kind` built by create_head for this config, e.g. one trained beside it."""
        return PoseModel(dataclasses.replace(self.config, head=kind), backbone=self.backbone, head=head)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """images [B,3,S,S] normalised -> (heatmaps [B,nstack,K,S/4,S/4], pooled [B,C] float32, scales):
        everything a head reads, without running one."""
        heatmaps, features, scales = self.backbone(images)
        # Pooled in float32: a bf16 mean keeps 8 significant bits, too few for coreset's distances.
        return heatmaps, features.float().mean(dim=(2, 3)), scales

    def forward(self, images: torch.Tensor) -> PoseOutput:
        """images [B,3,S,S] normalised -> PoseOutput."""
        heatmaps, pooled, scales = self.encode(images)
        return PoseOutput(heatmaps, run_head(self.head, pooled, scales), pooled, scales)
