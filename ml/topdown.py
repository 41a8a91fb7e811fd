"""Top-down crops: one square network input per person, cut around the person's box.

Boxes are COCO [x, y, w, h] in image pixels, measured on pixel edges: (x, y) is the box's top-left
corner and it spans [x, x + w] x [y, y + h], so pixel (i, j), whose centre is at integer (i, j) in
the pixel-centre coordinates the keypoints use, covers [i, i + 1] x [j, j + 1] in these coordinates.
A box that covers the whole image, [0, 0, width, height], gives exactly the letterbox of ml.preprocess.
"""

from collections.abc import Sequence

import numpy as np
from PIL import Image

from ml.affine import compose, invert, warp_image
from ml.preprocess import DecodedImage, full_resolution, letterbox, letterbox_transform

# Context around the box: Simple Baselines and most top-down pose models widen the box by 25%.
DEFAULT_PADDING = 1.25

Box = Sequence[float] | np.ndarray


def whole_image_box(width: int, height: int) -> list[float]:
    """The COCO box [x, y, w, h] of a whole width x height image."""
    return [0.0, 0.0, float(width), float(height)]


def covers_image(box: Box, *, image_size: tuple[int, int]) -> bool:
    """Whether the box contains the whole image; image_size is (width, height)."""
    x, y, w, h = checked_box(box)
    width, height = image_size
    return x <= 0 and y <= 0 and x + w >= width and y + h >= height


def crop_transform(
    box: Box, *, image_size: tuple[int, int], input_size: int, padding: float = DEFAULT_PADDING
) -> np.ndarray:
    """The [2,3] map from image pixels to crop pixels (pixel centres at integers) for a box in an image.

    image_size is (width, height). The box is widened about its centre to the square of side
    padding * max(w, h) (the network's input is square; the aspect ratio is kept) and that square is
    scaled to input_size pixels. Parts of the square outside the image show black, like the letterbox pad.
    """
    check_padding(padding)
    x, y, w, h = checked_box(box)
    if covers_image(box, image_size=image_size):
        # A box that is the image has no context around it to add: the letterbox already shows all of
        # it as large as it fits, and images without boxes then go through exactly the path they always did.
        return letterbox_transform(*image_size, input_size)
    side = padding * max(w, h)
    scale = input_size / side
    # Edge coordinates u = p + 0.5 map as u_crop = scale * (u - left edge of the square).
    left, top = x + 0.5 * w - 0.5 * side, y + 0.5 * h - 0.5 * side
    return np.array(
        [[scale, 0.0, scale * (0.5 - left) - 0.5], [0.0, scale, scale * (0.5 - top) - 0.5]], dtype=np.float64
    )


def crop_scale(box: Box, *, image_size: tuple[int, int], input_size: int, padding: float = DEFAULT_PADDING) -> float:
    """Crop pixels per image pixel for a box (the letterbox's for a box covering the image).

    The finest resolution of the image the crop samples: ml.preprocess.load_image_for_scale's needed scale.
    """
    linear = crop_transform(box, image_size=image_size, input_size=input_size, padding=padding)[:, :2]
    return float(np.abs(linear).max())


def crop_instance(
    image: np.ndarray | DecodedImage, box: Box, *, input_size: int, padding: float = DEFAULT_PADDING
) -> tuple[np.ndarray, np.ndarray]:
    """Cut one person's input out of image [H,W,3] uint8, or out of a reduced decode of it.

    Returns (pixels [S,S,3] uint8, [2,3] map from full-resolution image pixels to crop pixels): the map
    is the same whatever the reduction, so keypoints decoded from the crop land on the full image.
    """
    return crop_instances(image, [box], input_size=input_size, padding=padding)[0]


def crop_instances(
    image: np.ndarray | DecodedImage, boxes: Sequence[Box], *, input_size: int, padding: float = DEFAULT_PADDING
) -> list[tuple[np.ndarray, np.ndarray]]:
    """crop_instance for each box, in order. The image goes to Pillow once for all the warps: each hand-over
    copies the whole image (about 0.1 ms for a 640x480 photo, a tenth of what cropping a person costs)."""
    check_padding(padding)  # a box covering the image never reaches crop_transform's check
    decoded = image if isinstance(image, DecodedImage) else full_resolution(image)
    source = to_full_resolution = None
    crops = []
    for box in boxes:
        if covers_image(box, image_size=decoded.size):
            # crop_transform's map for such a box is the letterbox's; a resize and a pad are cheaper than an
            # affine warp of the whole image.
            crops.append(letterbox(decoded, input_size))
            continue
        if source is None:
            source, to_full_resolution = Image.fromarray(decoded.pixels), invert(decoded.to_pixels)
        transform = crop_transform(box, image_size=decoded.size, input_size=input_size, padding=padding)
        # Decoded pixels -> full-resolution pixels -> crop. Where a reduced image's partial block reaches
        # past the image, the crop shows up to r - 1 more pixels (the edge's colour) before the black: under
        # one crop pixel, since r is at most 1 / scale.
        from_decoded = compose(transform, to_full_resolution)
        crops.append((warp_image(source, from_decoded, (input_size, input_size)), transform))
    return crops


def check_padding(padding: float) -> None:
    """Refuse a padding that is not a positive number."""
    if not padding > 0:
        raise ValueError(f"padding must be positive, got {padding}")


def checked_box(box: Box) -> tuple[float, float, float, float]:
    """The box's four numbers, refused when they are not finite or span no area in either direction."""
    values = np.asarray(box, dtype=np.float64)
    if values.shape != (4,) or not np.isfinite(values).all():
        raise ValueError(f"a box is four finite numbers [x, y, w, h], got {box!r}")
    x, y, w, h = (float(v) for v in values)
    if w < 0 or h < 0 or max(w, h) == 0:
        raise ValueError(f"a box needs w >= 0, h >= 0 and one of them > 0, got {box!r}")
    return x, y, w, h
