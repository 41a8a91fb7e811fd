"""KeypointDataset: letterboxed, normalised, optionally augmented images with heatmap targets."""

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ml.affine import apply_points, compose
from ml.augment import AugmentConfig, augment
from ml.preprocess import ImageSource, letterbox, load_image, to_input
from ml.skeletons import Skeleton
from ml.targets import DEFAULT_PEAK, DEFAULT_SIGMA, make_heatmaps


class KeypointDataset(Dataset):
    """Labelled images for training and evaluation.

    images: uint8 array [N,H,W,3], or a sequence of paths / file-like objects / HxWx3 uint8 arrays
    (any sizes; decoded lazily). keypoints [N,K,2] in original pixels (pixel centres at integers),
    visibility [N,K] (2 visible, 1 occluded, 0 unlabelled). With train=True each item is augmented.
    A file-like object is rewound and read whole on every access; DataLoader workers share its OS
    file position, so give them paths or in-memory buffers.

    Items are dicts: image float32 [3,S,S], heatmaps float32 [K,h,w], weight float32 [K],
    keypoints float32 [K,2] (input pixels, after augmentation), visibility int64 [K],
    transform float64 [2,3] (original pixels -> input pixels; it does not undo a flip's joint swap),
    index int64.
    """

    def __init__(
        self,
        images: np.ndarray | Sequence[ImageSource],
        keypoints,
        visibility,
        *,
        skeleton: Skeleton,
        input_size: int,
        heatmap_size: int | None = None,
        train: bool = False,
        augment_config: AugmentConfig | None = None,
        sigma: float = DEFAULT_SIGMA,
        peak: float = DEFAULT_PEAK,
    ):
        self.images = images
        self.keypoints = np.asarray(keypoints, dtype=np.float64)
        self.visibility = np.asarray(visibility, dtype=np.int64)
        if len(images) != len(self.keypoints) or self.keypoints.shape[:2] != self.visibility.shape:
            raise ValueError("images, keypoints [N,K,2] and visibility [N,K] must agree")
        if self.keypoints.shape[1] != skeleton.num_keypoints:
            raise ValueError(f"{self.keypoints.shape[1]} keypoints for a {skeleton.num_keypoints}-joint skeleton")
        self.skeleton = skeleton
        self.input_size = input_size
        self.heatmap_size = heatmap_size or input_size // 4
        self.train = train
        self.augment_config = augment_config or AugmentConfig()
        self.sigma = sigma
        self.peak = peak

    def __len__(self) -> int:
        return len(self.keypoints)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        image, transform = letterbox(load_image(self.images[index]), self.input_size)
        keypoints = apply_points(transform, self.keypoints[index])
        visibility = self.visibility[index]
        if self.train:
            image, keypoints, visibility, matrix = augment(
                image, keypoints, visibility, skeleton=self.skeleton, config=self.augment_config
            )
            transform = compose(matrix, transform)
        heatmaps, weight = make_heatmaps(
            keypoints,
            visibility,
            input_size=self.input_size,
            heatmap_size=self.heatmap_size,
            sigma=self.sigma,
            peak=self.peak,
        )
        return {
            "image": to_input(image),
            "heatmaps": heatmaps,
            "weight": weight,
            "keypoints": torch.from_numpy(keypoints.astype(np.float32)),
            "visibility": torch.from_numpy(np.asarray(visibility, dtype=np.int64)),
            "transform": torch.from_numpy(transform),
            "index": torch.tensor(index),
        }
