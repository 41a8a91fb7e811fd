"""Checks for person instances and boxes: an image's label is a list of instances.

An instance is {"bbox": [x, y, w, h], "keypoints": [[x, y, v], ...]} in upright-image pixels
(COCO's box: top-left corner, width and height). A COCO crowd region ("iscrowd": 1) is an
instance too, kept with its segmentation so that an export gives it back, and never trained on;
a person may keep the outline ("segmentation") a COCO file gave it.
"""

import json

from alweb.annotations.validation import validate_keypoints
from alweb.errors import InvalidInput
from alweb.images.boxes import MAX_BOXES, validate_box, whole_image_box
from alweb.numbers import is_finite_number, is_number

MAX_INSTANCES = MAX_BOXES
# A crowd region's polygon or run-length mask, as JSON; COCO's largest are a few kilobytes.
MAX_SEGMENTATION_BYTES = 64 * 1024


def validate_instances(instances, *, num_keypoints: int, width: int, height: int) -> list[dict]:
    """Return the label's instances as stored, or raise InvalidInput naming the instance and field."""
    if not isinstance(instances, list):
        raise InvalidInput({"instances": "Expected a list of instances."})
    if len(instances) > MAX_INSTANCES:
        raise InvalidInput({"instances": f"At most {MAX_INSTANCES} instances per image, got {len(instances)}."})
    return [
        _validate_instance(instance, where=f"instances[{i}]", num_keypoints=num_keypoints, width=width, height=height)
        for i, instance in enumerate(instances)
    ]


def instances_from_keypoints(keypoints, *, num_keypoints: int, width: int, height: int) -> list[dict]:
    """The older body {"keypoints": [...]}: one instance whose box is the image."""
    points = validate_keypoints(keypoints=keypoints, num_keypoints=num_keypoints, width=width, height=height)
    return [{"bbox": whole_image_box(width=width, height=height), "keypoints": points}]


def trainable(instance: dict) -> bool:
    """Whether an instance teaches the network: a person, not a crowd region, with a labelled point."""
    return not instance.get("iscrowd") and any(v > 0 for _, _, v in instance["keypoints"])


def _validate_instance(instance, *, where: str, num_keypoints: int, width: int, height: int) -> dict:
    if not isinstance(instance, dict):
        raise InvalidInput({"instances": f"{where} must be an object with bbox and keypoints."})
    unknown = sorted(set(instance) - {"bbox", "keypoints", "iscrowd", "segmentation"})
    if unknown:
        raise InvalidInput({"instances": f"{where} has unknown fields: {', '.join(map(str, unknown[:5]))}."})
    if "bbox" not in instance:
        raise InvalidInput({"instances": f"{where}.bbox is required."})
    bbox = validate_box(instance["bbox"], where=f"{where}.bbox", field="instances", width=width, height=height)
    iscrowd = instance.get("iscrowd", 0)
    if iscrowd not in (0, 1) or isinstance(iscrowd, bool) or int(iscrowd) != iscrowd:
        raise InvalidInput({"instances": f"{where}.iscrowd must be 0 or 1."})
    keypoints = instance.get("keypoints")
    if keypoints is None and iscrowd:
        keypoints = [[0, 0, 0]] * num_keypoints
    try:
        points = validate_keypoints(keypoints=keypoints, num_keypoints=num_keypoints, width=width, height=height)
    except InvalidInput as error:
        message = error.first_message
        field = "" if message.startswith("keypoints") else "keypoints: "
        raise InvalidInput({"instances": f"{where}.{field}{message}"}) from None
    cleaned = {"bbox": bbox, "keypoints": points}
    if iscrowd:
        cleaned["iscrowd"] = 1
    if iscrowd or "segmentation" in instance:
        cleaned["segmentation"] = _validate_segmentation(instance.get("segmentation"), where=where)
    return cleaned


def _validate_segmentation(segmentation, *, where: str):
    """A mask kept as given (a crowd region's, or a person's outline from a COCO file): COCO polygons
    or run-length encoding, bounded in size."""
    if segmentation is None:
        return []
    try:
        size = len(json.dumps(segmentation, allow_nan=False))
    except (TypeError, ValueError):
        raise InvalidInput({"instances": f"{where}.segmentation must be JSON with finite numbers."}) from None
    if size > MAX_SEGMENTATION_BYTES:
        raise InvalidInput({"instances": f"{where}.segmentation is larger than {MAX_SEGMENTATION_BYTES:,} bytes."})
    is_polygons = isinstance(segmentation, list) and all(
        isinstance(polygon, list) and all(is_number(c) and is_finite_number(c) for c in polygon)
        for polygon in segmentation
    )
    is_rle = (
        isinstance(segmentation, dict)
        and set(segmentation) == {"counts", "size"}
        and (isinstance(segmentation["counts"], str) or _all_ints(segmentation["counts"]))
        and _all_ints(segmentation["size"])
    )
    if not (is_polygons or is_rle):
        raise InvalidInput({"instances": f"{where}.segmentation must be COCO polygons or run-length {{counts, size}}."})
    return segmentation


def _all_ints(values) -> bool:
    return isinstance(values, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
