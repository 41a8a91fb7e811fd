"""Image loading, letterbox to the square network input, and pixel normalisation."""

import io
import math
import os
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

import numpy as np
import torch
from PIL import ExifTags, Image, ImageOps

from ml import fast_decode
from ml.exif_orientation import QUARTER_TURNS, REVERSED_AXES

ImageSource = str | os.PathLike | BinaryIO | np.ndarray

# ImageNet statistics: the usual choice for hourglass inputs, and harmless when training from scratch.
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0

# The scales libjpeg decodes at in the DCT domain (1/r), largest reduction first.
JPEG_REDUCTIONS = (8, 4, 2)


class DecodedImage(NamedTuple):
    """An upright RGB image decoded at 1/reduction of its full resolution (load_image_for_scale).

    A decoded pixel covers r x r full-resolution pixels. A side of W pixels decodes to ceil(W / r): the
    block at the stored image's end is partial and reaches past it, which after an EXIF turn or mirror
    may be the upright image's start, so the decoded grid can be shifted; to_pixels accounts for it.
    """

    pixels: np.ndarray  # [ceil(H / r), ceil(W / r), 3] uint8
    size: tuple[int, int]  # (W, H) of the full-resolution upright image
    reduction: int  # r: 1, 2, 4 or 8
    to_pixels: np.ndarray  # [2,3] map from full-resolution upright pixels to these pixels (centres at integers)


def full_resolution(image: np.ndarray) -> DecodedImage:
    """An HxWx3 uint8 array [H,W,3] as a DecodedImage without reduction."""
    return DecodedImage(image, (image.shape[1], image.shape[0]), 1, np.eye(2, 3))


def load_image(source: ImageSource) -> np.ndarray:
    """Decode a path, file-like object or HxWx3 uint8 array into an upright RGB uint8 array [H,W,3]."""
    if isinstance(source, np.ndarray):
        return _checked_array(source)
    return _decode(_read(source), needed_scale=None).pixels


def load_image_for_scale(source: ImageSource, needed_scale: Callable[[tuple[int, int]], float]) -> DecodedImage:
    """Decode like load_image, at the lowest resolution that still serves every crop of the image.

    needed_scale((W, H)) gives, for the upright full-resolution size, the largest output/input pixel ratio
    any crop of the image needs (ml.topdown.crop_scale). A JPEG is decoded in the DCT domain at 1/r, r the
    largest of 1, 2, 4 and 8 with r * needed_scale <= 1, so every crop still has at least one decoded pixel
    per output pixel; that skips most of the inverse DCT and colour conversion, and every later step
    handles a fraction of the pixels. Other formats and arrays are decoded at full resolution.
    """
    if isinstance(source, np.ndarray):
        return full_resolution(_checked_array(source))
    return _decode(_read(source), needed_scale)


def _read(source: str | os.PathLike | BinaryIO) -> bytes:
    """A path's or file-like object's bytes, the latter from its start."""
    if not hasattr(source, "read"):
        with open(source, "rb") as file:
            return file.read()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


def _decode(data: bytes, needed_scale: Callable[[tuple[int, int]], float] | None) -> DecodedImage:
    """An image file's upright RGB pixels, at 1/r of its resolution as load_image_for_scale says (at full
    resolution when needed_scale is None): through ml.fast_decode where it gives Pillow's pixels, else Pillow."""
    fast = fast_decode.probe(data)
    if fast is not None:
        width, height = fast.stored_size
        size = (height, width) if fast.orientation in QUARTER_TURNS else (width, height)
        reduction = 1
        if fast.format == "JPEG" and needed_scale is not None:
            reduction = _jpeg_reduction(needed_scale(size), fast.stored_size)
        pixels = fast_decode.decode(data, fast, reduction)
        if pixels is not None:
            return DecodedImage(pixels, size, reduction, _reduction_transform(reduction, size, fast.orientation))
    with Image.open(io.BytesIO(data)) as im:
        if im.format != "JPEG" or needed_scale is None:
            return full_resolution(_upright_rgb(im))
        orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
        width, height = im.size
        size = (height, width) if orientation in QUARTER_TURNS else (width, height)
        reduction = _draft(im, _jpeg_reduction(needed_scale(size), im.size))
        pixels = _upright_rgb(im)
    return DecodedImage(pixels, size, reduction, _reduction_transform(reduction, size, orientation))


def _checked_array(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 array, got {image.dtype} {image.shape}")
    return image


def _upright_rgb(im: Image.Image) -> np.ndarray:
    """Decode an opened image into an upright RGB uint8 array [H,W,3]."""
    # Browsers apply EXIF orientation, so labels were drawn on the upright image. In place, and no
    # conversion of an image already RGB: each would copy the decoded pixels (for a photo, about as
    # long as decoding them at a reduced scale took).
    ImageOps.exif_transpose(im, in_place=True)
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def _jpeg_reduction(scale: float, stored_size: tuple[int, int]) -> int:
    """The r to decode a JPEG of that stored (W, H) at, for a needed scale, as load_image_for_scale says."""
    return next((r for r in JPEG_REDUCTIONS if r * scale <= 1.0 and r <= min(stored_size)), 1)


def _draft(im: Image.Image, reduction: int) -> int:
    """Ask Pillow's JPEG decoder for 1/reduction of the resolution; returns the r it gives."""
    if reduction == 1:
        return 1
    width, height = im.size
    # Pillow decodes at the largest reduction whose result is at least the requested size: asking for
    # (W // r, H // r) gets exactly r, at ceil(W / r) x ceil(H / r) pixels.
    drafted = im.draft("RGB", (width // reduction, height // reduction))
    if drafted is None:  # a JPEG the decoder cannot scale
        return 1
    _, (_, _, reduced_width, _) = drafted
    return round(width / reduced_width)


def _reduction_transform(reduction: int, size: tuple[int, int], orientation: int) -> np.ndarray:
    """The [2,3] map from full-resolution upright pixels to those of the upright image decoded at 1/reduction.

    Along an axis of n pixels that runs as stored, decoded pixel i covers [i r, (i + 1) r), so with pixel
    centres at integers x_decoded = (x + 0.5) / r - 0.5. Along a reversed one the partial block comes
    first: the grid starts at n - r ceil(n / r) instead of 0.
    """
    scale = 1.0 / reduction
    rows = []
    for axis, (n, reversed_axis) in enumerate(zip(size, REVERSED_AXES.get(orientation, (False, False)))):
        start = n - reduction * math.ceil(n / reduction) if reversed_axis else 0
        row = [0.0, 0.0, scale * (0.5 - start) - 0.5]
        row[axis] = scale
        rows.append(row)
    return np.array(rows)


def letterbox_transform(width: int, height: int, size: int) -> np.ndarray:
    """The [2,3] map from a width x height image's pixels to its letterbox in a size x size input.

    Pixel centres at integers: x_in = sx * (x + 0.5) - 0.5 + ox, with sx = resized width / width.
    """
    new_w, new_h, ox, oy = _letterbox_layout(width, height, size)
    # Rounding makes the two axes' scales differ slightly; keep both exact.
    sx, sy = new_w / width, new_h / height
    return np.array([[sx, 0.0, 0.5 * sx - 0.5 + ox], [0.0, sy, 0.5 * sy - 0.5 + oy]])


def letterbox(image: np.ndarray | DecodedImage, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize [H,W,3] uint8 (or a reduced decode of it) keeping aspect and pad to [size,size,3], centred.

    Returns the padded image and letterbox_transform's [2,3] map from original (full-resolution) pixel
    coordinates to input coordinates.
    """
    decoded = image if isinstance(image, DecodedImage) else full_resolution(image)
    w, h = decoded.size
    transform = letterbox_transform(w, h, size)
    if decoded.reduction == 1 and (w, h) == (size, size):
        return decoded.pixels, transform
    new_w, new_h, ox, oy = _letterbox_layout(w, h, size)
    # Resize exactly the full image's extent within the decoded pixels: a partial JPEG block may reach past
    # it, and then the letterbox stays the full-resolution one.
    resized = Image.fromarray(decoded.pixels).resize((new_w, new_h), Image.BILINEAR, box=_extent(decoded))
    resized = np.asarray(resized)
    out = np.zeros((size, size, 3), dtype=np.uint8)
    out[oy : oy + new_h, ox : ox + new_w] = resized
    return out, transform


def _extent(decoded: DecodedImage) -> tuple[float, float, float, float]:
    """The full image's edges (left, top, right, bottom) in the decoded pixels' edge coordinates."""
    (sx, _, tx), (_, sy, ty) = decoded.to_pixels
    # Edge coordinates are pixel-centre coordinates + 0.5 on both sides of the map.
    left, top = tx + 0.5 - 0.5 * sx, ty + 0.5 - 0.5 * sy
    width, height = decoded.size
    return left, top, left + sx * width, top + sy * height


def _letterbox_layout(width: int, height: int, size: int) -> tuple[int, int, int, int]:
    """(resized width, resized height, x offset, y offset) of the letterbox."""
    scale = size / max(width, height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return new_w, new_h, (size - new_w) // 2, (size - new_h) // 2


def standardise(image: np.ndarray) -> np.ndarray:
    """[H,W,3] uint8 -> standardised float32 [H,W,3], channels last as stored."""
    return (image.astype(np.float32) - MEAN) / STD


_MEAN = torch.from_numpy(MEAN)
_STD = torch.from_numpy(STD)


def standardise_batch(pixels: torch.Tensor) -> torch.Tensor:
    """Images [B,H,W,3] uint8, as decoded -> standardised float32 [B,3,H,W] in channels-last memory.

    The same numbers as standardise, image by image. Scoring keeps its crops in uint8 and standardises
    each batch here, just before the forward: a quarter of the bytes to gather and to move to a GPU.
    """
    batch, height, width, channels = pixels.shape
    # Each image row as one vector of width*3 values against the means and deviations repeated along it:
    # broadcasting them over the channel axis alone gives an innermost loop of 3 values, which does not
    # vectorise (measured: 3.0 against 0.5 ms for 32 images of 128x128 on one thread).
    rows = pixels.reshape(batch * height, width * channels).to(torch.float32)
    rows.sub_(_MEAN.to(rows.device).repeat(width)).div_(_STD.to(rows.device).repeat(width))
    return rows.view(batch, height, width, channels).permute(0, 3, 1, 2)  # channels-last memory, as stored


def to_input(image: np.ndarray) -> torch.Tensor:
    """[H,W,3] uint8 -> standardised float32 tensor [3,H,W]."""
    return torch.from_numpy(np.ascontiguousarray(standardise(image).transpose(2, 0, 1)))
