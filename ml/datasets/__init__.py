"""Loaders for real pose data sets the user already has on disk; no downloads."""

from ml.datasets.coco import load_coco_keypoints
from ml.datasets.lsp import load_lsp
from ml.datasets.mpii import load_mpii
from ml.datasets.records import PoseRecords

__all__ = ["PoseRecords", "load_coco_keypoints", "load_lsp", "load_mpii"]
