"""Images from Django's storage as the lazy sources ml/ reads, and predictions mapped back onto them."""

import io
from collections.abc import Sequence

import numpy as np
from django.core.files.storage import default_storage


class StoredImages(Sequence):
    """A sequence of stored image names whose items are read from storage on access.

    ml/ decodes lazily, so only the images in flight are in memory, whatever the pool size.
    """

    def __init__(self, names: list[str]):
        self.names = names

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return StoredImages(self.names[index])
        with default_storage.open(self.names[index], "rb") as stored:
            return io.BytesIO(stored.read())


def clip_to_image(points: np.ndarray, *, width: int, height: int) -> np.ndarray:
    """Keypoints [K,2] moved inside the image: a point predicted in the letterbox padding
    would be a pre-annotation nobody could see or drag."""
    return np.stack([points[:, 0].clip(0, width - 1), points[:, 1].clip(0, height - 1)], axis=1)
