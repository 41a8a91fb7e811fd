"""PoseModel: a pose network (stacked hourglass or Simple Baselines ResNet) plus a loss-prediction head,
configured by one dataclass."""

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ml.models.heads import ConvHead, GapHead
from ml.models.hourglass import StackedHourglass
from ml.models.resnet import STAGE_CHANNELS, STRIDE, SimpleBaseline

HEADS = ("gap", "conv")
BACKBONES = ("hourglass", *STAGE_CHANNELS)


@dataclass(frozen=True)
class PoseConfig:
    nstack: int = 2  # hourglasses; a ResNet gives one stack of heatmaps, so it needs 1
    channels: int = 256  # the hourglass's width; for a ResNet, its deconvolutions' width
    depth: int = 4  # poolings in each hourglass; unused by a ResNet
    input_size: int = 256
    num_keypoints: int = 14
    head: str = "gap"  # "gap" or "conv" (LL++conv)
    dropout: float = 0.0  # before each heatmap layer; > 0 enables MC-dropout scoring
    backbone: str = "hourglass"  # "hourglass", "resnet18" or "resnet50" (Simple Baselines)

    def __post_init__(self):
        # Every property below depends on the backbone, so a config with an unknown one cannot exist.
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {self.backbone!r}: expected one of {BACKBONES}")

    @property
    def heatmap_size(self) -> int:
        return self.input_size // 4

    @property
    def input_divisor(self) -> int:
        """input_size must be a multiple of this: the coarsest scale is input_size / input_divisor."""
        return 4 * 2**self.depth if self.backbone == "hourglass" else STRIDE

    @property
    def scale_channels(self) -> tuple[int, ...]:
        """Channels of PoseOutput.scales, finest first: the last hourglass's outputs or the ResNet's stages."""
        if self.backbone == "hourglass":
            return (self.channels,) * (self.depth + 1)
        return STAGE_CHANNELS[self.backbone]

    @property
    def pretrainable(self) -> bool:
        """Whether ml.models.load_backbone_weights can start the network from ImageNet weights (a ResNet)."""
        return self.backbone != "hourglass"

    @property
    def feature_size(self) -> int:
        """Length of PoseOutput.features: the last stack's (hourglass) or last stage's (ResNet) channels."""
        return self.scale_channels[-1]


class PoseOutput(NamedTuple):
    heatmaps: torch.Tensor  # [B, nstack, K, S/4, S/4] (nstack 1 for a ResNet), in the forward's precision
    loss: torch.Tensor  # [B] predicted loss, float32
    features: torch.Tensor  # [B, config.feature_size] pooled last-stack or last-stage features, float32
    scales: list[torch.Tensor]  # finest first, config.scale_channels channels: [B,C1,S/4,S/4] ... (the conv head)


def create_head(kind: str, config: PoseConfig) -> nn.Module:
    """A fresh loss-prediction head of `kind` ("gap" or "conv") for networks built from `config`.

    Every head is called as head(pooled [B,C], scales [[B,C1,h,w], ...]) -> predicted loss [B].
    """
    if kind == "gap":
        return GapHead(config.feature_size)
    if kind == "conv":
        return ConvHead(config.scale_channels, config.input_size // config.input_divisor)
    raise ValueError(f"unknown head {kind!r}: expected one of {HEADS}")


def create_backbone(config: PoseConfig) -> StackedHourglass | SimpleBaseline:
    """A fresh pose network for `config`, called as backbone(images) -> (heatmaps, last features, scales)."""
    if config.backbone == "hourglass":
        return StackedHourglass(
            nstack=config.nstack,
            channels=config.channels,
            depth=config.depth,
            num_keypoints=config.num_keypoints,
            dropout=config.dropout,
        )
    return SimpleBaseline(
        arch=config.backbone,
        num_keypoints=config.num_keypoints,
        deconv_channels=config.channels,
        dropout=config.dropout,
    )


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

    def __init__(
        self,
        config: PoseConfig,
        *,
        backbone: StackedHourglass | SimpleBaseline | None = None,
        head: nn.Module | None = None,
    ):
        """backbone and head, when given, are used as they are (shared, not copied); see with_head."""
        super().__init__()
        if config.input_size % config.input_divisor:
            raise ValueError(
                f"input_size {config.input_size} must be divisible by {config.input_divisor} for the "
                f"{config.backbone} backbone" + (" (4 * 2**depth)" if config.backbone == "hourglass" else "")
            )
        if config.backbone != "hourglass" and config.nstack != 1:
            raise ValueError(f"a {config.backbone} backbone gives one stack of heatmaps: nstack must be 1")
        if config.head not in HEADS:
            raise ValueError(f"unknown head {config.head!r}: expected one of {HEADS}")
        self.config = config
        self.backbone = create_backbone(config) if backbone is None else backbone
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
