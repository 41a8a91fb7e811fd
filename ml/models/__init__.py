"""Pose networks with loss-prediction heads, built by name: create_model("hg-tiny", head="conv")."""

from ml.models.pose import HEADS, PoseConfig, PoseModel, PoseOutput, create_head, run_head
from ml.models.registry import PRESETS, create_model

__all__ = ["HEADS", "PRESETS", "PoseConfig", "PoseModel", "PoseOutput", "create_head", "create_model", "run_head"]
