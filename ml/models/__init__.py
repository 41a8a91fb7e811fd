"""Pose networks with loss-prediction heads, built by name: create_model("hg-tiny", head="conv")."""
from ml.models.pose import PoseConfig, PoseModel, PoseOutput
from ml.models.registry import PRESETS, create_model

__all__ = ["PRESETS", "PoseConfig", "PoseModel", "PoseOutput", "create_model"]
