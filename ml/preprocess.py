"""Image loading, letterbox to the square network input, and pixel normalisation."""

import io
import os
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps

ImageSource = str | os.PathLike | BinaryIO | np.ndarray

# ImageNet statistics: the usual choice for hourglass inputs, and harmless when training from scratch.
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0


def load_image(source: ImageSource) -> np.ndarray:
    """Decode a path, file-like object or HxWx3 uint8 array into an upright RGB uint8 array [H,W,3]."""
    if isinstance(source, np.ndarray):
        if source.dtype != np.uint8 or source.ndim != 3 or source.shape[2] != 3:
            raise ValueError(f"expected an HxWx3 uint8 array, got {source.dtype} {source.shape}")
        return source
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        source = io.BytesIO(source.read())
    with Image.open(source) as im:
        # Browsers apply EXIF orientation, so labels were drawn on the upright image.
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def letterbox_transform(width: int, height: int, size: int) -> np.ndarray:
    """The [2,3] map from a width x height image's pixels to its letterbox in a size x size input.

    Pixel centres at integers: x_in = sx * (x + 0.5) - 0.5 + ox, with sx = resized width / width.
    """
    new_w, new_h, ox, oy = _letterbox_layout(width, height, size)
    # Rounding makes the two axes' scales differ slightly; keep both exact.
    sx, sy = new_w / width, new_h / height
    return np.array([[sx, 0.0, 0.5 * sx - 0.5 + ox], [0.0, sy, 0.5 * sy - 0.5 + oy]])


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize [H,W,3] uint8 keeping aspect and pad to [size,size,3], centred.

    Returns the padded image and letterbox_transform's [2,3] map from original pixel coordinates to
    input coordinates.
    """
    h, w = image.shape[:2]
    transform = letterbox_transform(w, h, size)
    if h == size and w == size:
        return image, transform
    new_w, new_h, ox, oy = _letterbox_layout(w, h, size)
    resized = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))
    out = np.zeros((size, size, 3), dtype=np.uint8)
    out[oy : oy + new_h, ox : ox + new_w] = resized
    return out, transform


def _letterbox_layout(width: int, height: int, size: int) -> tuple[int, int, int, int]:
    """(resized width, resized height, x offset, y offset) of the letterbox."""
    scale = size / max(width, height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return new_w, new_h, (size - new_w) // 2, (size - new_h) // 2


def to_input(image: np.ndarray) -> torch.Tensor:
    """[H,W,3] uint8 -> standardised float32 tensor [3,H,W].

    Done in numpy: per-image torch ops are tiny, and their intra-op threads contend with the
    training forward pass for the same cores.
    """
    pixels = (image.astype(np.float32) - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))
