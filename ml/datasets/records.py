"""The record type every pose data set loader returns."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.skeletons import Skeleton


@dataclass
class PoseRecords:
    """One labelled person per record, N records of the skeleton's K joints.

    keypoints [N, K, 2] float32 are 0-based pixel coordinates with pixel centres at
    integers (MATLAB-annotated sets have 1 subtracted); visibility [N, K] int64 follows
    COCO: 0 unlabelled, 1 occluded but labelled, 2 visible. head_size [N] float32 is the
    PCKh normaliser where the data set defines one (NaN for a person without a head box),
    else None; split holds "train"/"test" per record where the data set defines one.
    Image paths are built from the annotations, not opened.
    """

    image_paths: list[Path]
    keypoints: np.ndarray
    visibility: np.ndarray
    skeleton: Skeleton
    head_size: np.ndarray | None = None
    split: list[str] | None = None

    def __post_init__(self) -> None:
        n, k = len(self.image_paths), self.skeleton.num_keypoints
        if self.keypoints.shape != (n, k, 2) or self.visibility.shape != (n, k):
            raise ValueError(
                f"expected keypoints [{n}, {k}, 2] and visibility [{n}, {k}], "
                f"got {self.keypoints.shape} and {self.visibility.shape}"
            )
        if self.head_size is not None and self.head_size.shape != (n,):
            raise ValueError(f"expected head_size [{n}], got {self.head_size.shape}")
        if self.split is not None and len(self.split) != n:
            raise ValueError(f"expected {n} split entries, got {len(self.split)}")

    def __len__(self) -> int:
        return len(self.image_paths)
