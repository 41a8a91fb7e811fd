"""Pose networks with loss-prediction heads, built by name: create_model("hg-tiny", head="conv").

load_backbone_weights puts ImageNet weights into the ResNet presets."""

from ml.models.pose import BACKBONES, HEADS, PoseConfig, PoseModel, PoseOutput, create_head, run_head
from ml.models.pretrained import load_backbone_weights
from ml.models.registry import PRESETS, create_model

__all__ = [
    "BACKBONES",
    "HEADS",
    "PRESETS",
    "PoseConfig",
    "PoseModel",
    "PoseOutput",
    "create_head",
    "create_model",
    "load_backbone_weights",
    "run_head",
]
