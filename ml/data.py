"""KeypointDataset: one person per item, cropped around its box, optionally augmented, with heatmap targets."""

from collections.abc import Sequence
from functools import partial

import numpy as np
import torch
from torch.utils.data import Dataset

from ml.affine import apply_points, compose
from ml.augment import AugmentConfig, augment
from ml.preprocess import ImageSource, load_image_for_scale, to_input
from ml.skeletons import Skeleton
from ml.targets import DEFAULT_PEAK, DEFAULT_SIGMA, make_heatmaps
from ml.topdown import DEFAULT_PADDING, crop_instance, crop_scale, whole_image_box


class KeypointDataset(Dataset):
    """Labelled people for training and evaluation, one per item.

    images: uint8 array [N,H,W,3], or a sequence of paths / file-like objects / HxWx3 uint8 arrays
    (any sizes; decoded lazily); an image with several people appears once per person. keypoints
    [N,K,2] in original pixels (pixel centres at integers), visibility [N,K] (2 visible, 1 occluded,
    0 unlabelled). boxes [N,4]: each person's COCO box [x, y, w, h] in image pixels (see ml.topdown),
    cropped with `padding`; None crops every item to its whole image, which is its letterbox. With
    train=True each crop is augmented.
    A file-like object is rewound and read whole on every access; DataLoader workers share its OS
    file position, so give them paths or in-memory buffers.

    Items are dicts: image float32 [3,S,S], heatmaps float32 [K,h,w], weight float32 [K],
    keypoints float32 [K,2] (input pixels, after augmentation), visibility int64 [K],
    transform float64 [2,3] (original pixels -> input pixels: the crop, then the augmentation; it does
    not undo a flip's joint swap), box float64 [4] (the box cropped, image pixels), index int64.
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
        boxes: np.ndarray | None = None,
        padding: float = DEFAULT_PADDING,
    ):
        self.images = images
        self.keypoints = np.asarray(keypoints, dtype=np.float64)
        self.visibility = np.asarray(visibility, dtype=np.int64)
        if len(images) != len(self.keypoints) or self.keypoints.shape[:2] != self.visibility.shape:
            raise ValueError("images, keypoints [N,K,2] and visibility [N,K] must agree")
        self.boxes = None if boxes is None else np.asarray(boxes, dtype=np.float64)
        if self.boxes is not None and self.boxes.shape != (len(self.keypoints), 4):
            raise ValueError(f"boxes must be [N,4] with N = {len(self.keypoints)}, got {self.boxes.shape}")
        self.padding = padding
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

    def _box(self, index: int, image_size: tuple[int, int]) -> np.ndarray | list[float]:
        """The box item index crops in an image of image_size (width, height)."""
        return whole_image_box(*image_size) if self.boxes is None else self.boxes[index]

    def _needed_scale(self, index: int, image_size: tuple[int, int]) -> float:
        """The finest resolution (input pixels per image pixel) item index may sample its image at."""
        box = self._box(index, image_size)
        scale = crop_scale(box, image_size=image_size, input_size=self.input_size, padding=self.padding)
        # Augmentation may zoom into the crop: training crops must not lack resolution that scoring had.
        return scale * (1.0 + self.augment_config.scale) if self.train else scale

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        # Decoded like score_pool decodes it (at the lowest resolution the crop allows), so that the
        # network sees the same pixels in training and scoring.
        image = load_image_for_scale(self.images[index], partial(self._needed_scale, index))
        box = self._box(index, image.size)
        image, transform = crop_instance(image, box, input_size=self.input_size, padding=self.padding)
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
            "box": torch.tensor(box, dtype=torch.float64),
            "index": torch.tensor(index),
        }
