"""Person boxes in image pixels, COCO's [x, y, width, height] (top-left corner, size)."""

from alweb.errors import InvalidInput
from alweb.numbers import is_finite_number, is_number

# A bound on the work one image can ask for: scoring crops every box.
MAX_BOXES = 100


def whole_image_box(*, width: int, height: int) -> list[float]:
    """The box of an image without person boxes: one instance covering all of it."""
    return [0.0, 0.0, float(width), float(height)]


def validate_box(box, *, where: str, field: str, width: int, height: int) -> list[float]:
    """Return the box clipped to the image, or raise InvalidInput naming it.

    Real files hold boxes that overrun the border, so those are clipped; a box that misses
    the image entirely, or has no area, is an error.
    """
    if not isinstance(box, list) or len(box) != 4:
        raise InvalidInput({field: f"{where} must be [x, y, width, height]."})
    if not all(is_number(c) for c in box):
        raise InvalidInput({field: f"{where} must hold numbers."})
    x, y, w, h = box
    if not all(is_finite_number(c) for c in (x, y, w, h, x + w, y + h)):
        raise InvalidInput({field: f"{where} has a value that is not finite."})
    if w <= 0 or h <= 0:
        raise InvalidInput({field: f"{where} needs a positive width and height, got {w} x {h}."})
    left, top, right, bottom = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if right <= left or bottom <= top:
        raise InvalidInput({field: f"{where} [{x}, {y}, {w}, {h}] does not overlap the {width}x{height} image."})
    return [float(left), float(top), float(right - left), float(bottom - top)]


def validate_boxes(boxes, *, width: int, height: int) -> list[list[float]]:
    """Person boxes of a pool image (from a detector): each clipped, at most MAX_BOXES."""
    if not isinstance(boxes, list):
        raise InvalidInput({"boxes": "Expected a list of [x, y, width, height] boxes."})
    if len(boxes) > MAX_BOXES:
        raise InvalidInput({"boxes": f"At most {MAX_BOXES} boxes per image, got {len(boxes)}."})
    return [
        validate_box(box, where=f"boxes[{i}]", field="boxes", width=width, height=height) for i, box in enumerate(boxes)
    ]
