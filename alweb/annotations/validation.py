"""Checks that a label fits its project's skeleton and its image."""

from alweb.errors import InvalidInput
from alweb.numbers import is_finite_number, is_number

VISIBILITY_VALUES = (0, 1, 2)


def validate_keypoints(*, keypoints: list, num_keypoints: int, width: int, height: int) -> list[list[float]]:
    """Return the label as [[x, y, v], ...] or raise InvalidInput naming the bad point."""
    if not isinstance(keypoints, list) or len(keypoints) != num_keypoints:
        got = len(keypoints) if isinstance(keypoints, list) else type(keypoints).__name__
        raise InvalidInput({"keypoints": f"Expected {num_keypoints} keypoints, got {got}."})
    cleaned = []
    for index, point in enumerate(keypoints):
        cleaned.append(_validate_point(index=index, point=point, width=width, height=height))
    return cleaned


def _validate_point(*, index: int, point, width: int, height: int) -> list[float]:
    where = f"keypoints[{index}]"
    if not isinstance(point, list) or len(point) != 3:
        raise InvalidInput({"keypoints": f"{where} must be [x, y, v]."})
    x, y, v = point
    if not all(is_number(c) for c in (x, y, v)):
        raise InvalidInput({"keypoints": f"{where} must hold numbers."})
    if not (is_finite_number(x) and is_finite_number(y)):
        raise InvalidInput({"keypoints": f"{where} has a coordinate that is not finite."})
    if v not in VISIBILITY_VALUES or int(v) != v:
        raise InvalidInput({"keypoints": f"{where} visibility must be 0, 1 or 2 (COCO), got {v}."})
    if not (0 <= x <= width and 0 <= y <= height):
        raise InvalidInput({"keypoints": f"{where} ({x}, {y}) lies outside the {width}x{height} image."})
    return [float(x), float(y), int(v)]
