"""The data sets an experiment can run on, as one in-memory description with its PCK normaliser."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.metrics import torso_size
from ml.skeletons import Skeleton


@dataclass
class ExperimentData:
    images: np.ndarray | list[Path]  # uint8 [N,H,W,3] or N image paths
    keypoints: np.ndarray  # [N,K,2] original pixels
    visibility: np.ndarray  # [N,K]
    skeleton: Skeleton
    normaliser: np.ndarray  # [N] PCK distance scale (torso, or MPII head size)
    alpha: float
    train: np.ndarray  # indices the labelled set and the pool are drawn from
    val: np.ndarray  # held-out indices for the model's validation PCK

    def subset(self, indices: np.ndarray):
        """(images, keypoints, visibility) of the given indices, images still lazy for paths."""
        images = self.images[indices] if isinstance(self.images, np.ndarray) else [self.images[i] for i in indices]
        return images, self.keypoints[indices], self.visibility[indices]


def _synthetic(n_train: int, n_val: int) -> ExperimentData:
    from ml.skeletons import LSP14
    from ml.synthetic import generate

    data = generate(n_train + n_val, seed=0, size=128)
    return ExperimentData(
        images=data.images,
        keypoints=data.keypoints,
        visibility=data.visibility,
        skeleton=LSP14,
        normaliser=torso_size(data.keypoints, data.visibility, LSP14),
        alpha=0.2,
        train=np.arange(n_train),
        val=np.arange(n_train, n_train + n_val),
    )


def _split(split: list[str] | None, n: int, n_train: int, n_val: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices from the records' split, or the last n_val records when there is none."""
    if split is not None and "test" in split and "train" in split:
        train = np.array([i for i, s in enumerate(split) if s == "train"])
        val = np.array([i for i, s in enumerate(split) if s == "test"])
    else:
        train, val = np.arange(n - n_val), np.arange(n - n_val, n)
    return train[:n_train], val[:n_val]


def _real(name: str, data_dir: Path, n_train: int, n_val: int) -> ExperimentData:
    from ml.datasets import load_lsp, load_mpii

    records = load_lsp(data_dir) if name == "lsp" else load_mpii(data_dir)
    labelled = np.flatnonzero((records.visibility > 0).any(axis=1))
    split = None if records.split is None else [records.split[i] for i in labelled]
    keypoints, visibility = records.keypoints[labelled], records.visibility[labelled]
    if name == "mpii":
        normaliser, alpha = records.head_size[labelled], 0.5
    else:
        normaliser, alpha = torso_size(keypoints, visibility, records.skeleton), 0.2
    train, val = _split(split, len(labelled), n_train, n_val)
    return ExperimentData(
        images=[records.image_paths[i] for i in labelled],
        keypoints=keypoints,
        visibility=visibility,
        skeleton=records.skeleton,
        normaliser=normaliser,
        alpha=alpha,
        train=train,
        val=val,
    )


def metric_name(dataset: str) -> str:
    """The accuracy measure an experiment on this data set reports."""
    return "PCKh@0.5" if dataset == "mpii" else "PCK@0.2 (torso)"


def load_experiment_data(name: str, *, data_dir: str | None, n_train: int, n_val: int) -> ExperimentData:
    """synthetic (generated, 128 px stick figures), lsp or mpii (from data_dir, via ml.datasets)."""
    if name == "synthetic":
        return _synthetic(n_train, n_val)
    if name in ("lsp", "mpii"):
        if data_dir is None:
            raise ValueError(f"--data-dir is required for {name}")
        return _real(name, Path(data_dir), n_train, n_val)
    raise ValueError(f"unknown dataset {name!r}: expected synthetic, lsp or mpii")
