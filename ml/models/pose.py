"""PoseModel: a stacked hourglass plus a loss-prediction head, configured by one dataclass."""
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ml.models.heads import ConvHead, GapHead
from ml.models.hourglass import StackedHourglass


@dataclass(frozen=True)
class PoseConfig:
    nstack: int = 2
    channels: int = 256
    depth: int = 4
    input_size: int = 256
    num_keypoints: int = 14
    head: str = "gap"            # "gap" or "conv" (LL++conv)
    dropout: float = 0.0         # before each heatmap layer; > 0 enables MC-dropout scoring

    @property
    def heatmap_size(self) -> int:
        return self.input_size // 4


class PoseOutput(NamedTuple):
    heatmaps: torch.Tensor        # [B, nstack, K, S/4, S/4]
    loss: torch.Tensor            # [B] predicted loss
    features: torch.Tensor        # [B, C] pooled last-stack features (for coreset)


class PoseModel(nn.Module):
    def __init__(self, config: PoseConfig):
        super().__init__()
        if config.input_size % (4 * 2 ** config.depth):
            raise ValueError(f"input_size {config.input_size} must be divisible by 4 * 2**depth")
        self.config = config
        self.backbone = StackedHourglass(nstack=config.nstack, channels=config.channels, depth=config.depth,
                                         num_keypoints=config.num_keypoints, dropout=config.dropout)
        if config.head == "gap":
            self.head = GapHead(config.channels)
        elif config.head == "conv":
            self.head = ConvHead(config.channels, config.depth + 1, config.heatmap_size // 2 ** config.depth)
        else:
            raise ValueError(f"unknown head {config.head!r}: expected 'gap' or 'conv'")

    def forward(self, images: torch.Tensor) -> PoseOutput:
        """images [B,3,S,S] normalised -> PoseOutput."""
        heatmaps, features, scales = self.backbone(images)
        pooled = features.mean(dim=(2, 3))
        return PoseOutput(heatmaps, self.head(pooled, scales), pooled)
