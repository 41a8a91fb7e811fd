"""MPII Human Pose from its official MATLAB release (mpii_human_pose_v1_u12_1.mat)."""

import math
from pathlib import Path

import numpy as np
from scipy.io import loadmat

from ml.datasets.records import PoseRecords
from ml.skeletons import MPII16

ANNOTATION_FILE = "mpii_human_pose_v1_u12_1.mat"
# The release's own folder name, kept when its zip is unpacked next to images/.
_RELEASE_FOLDER = "mpii_human_pose_v1_u12_2"
# MPII's PCKh normaliser: 60% of the head box diagonal.
_HEAD_SIZE_FACTOR = 0.6


def load_mpii(root: Path) -> PoseRecords:
    """One record per annotated person of root/<ANNOTATION_FILE>, images under root/images/.

    The annotation file may also sit in root/mpii_human_pose_v1_u12_2/. Joints are
    matched by their MPII id (0..15, the MPII16 order); a joint the person lacks is
    v=0, is_visible 1 gives v=2, 0 gives v=1, and a missing or empty is_visible (common
    for the head joints) counts as visible. People without joint annotations (most of
    the test set, whose labels are withheld) are skipped. head_size is 0.6 x the head
    box diagonal, NaN without a head box. split is "train"/"test" from img_train.
    """
    root = Path(root)
    release = loadmat(_annotation_path(root), struct_as_record=False, squeeze_me=True)["RELEASE"]
    train_flags = np.atleast_1d(getattr(release, "img_train", np.array([])))
    paths, keypoints, visibility, head_sizes, split = [], [], [], [], []
    for index, annotation in enumerate(_items(release.annolist)):
        name = _image_name(annotation)
        for person in _items(getattr(annotation, "annorect", None)):
            points = _items(getattr(getattr(person, "annopoints", None), "point", None))
            if not points or name is None:
                continue
            xy, v = _joints(points)
            paths.append(root / "images" / name)
            keypoints.append(xy)
            visibility.append(v)
            head_sizes.append(_head_size(person))
            split.append("train" if index < len(train_flags) and train_flags[index] == 1 else "test")
    k = MPII16.num_keypoints
    return PoseRecords(
        image_paths=paths,
        keypoints=np.array(keypoints, dtype=np.float32).reshape(-1, k, 2),
        visibility=np.array(visibility, dtype=np.int64).reshape(-1, k),
        skeleton=MPII16,
        head_size=np.array(head_sizes, dtype=np.float32),
        split=split if len(train_flags) else None,
    )


def _annotation_path(root: Path) -> Path:
    for candidate in (root / ANNOTATION_FILE, root / _RELEASE_FOLDER / ANNOTATION_FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {ANNOTATION_FILE} in {root} or {root / _RELEASE_FOLDER}")


def _items(value) -> list:
    """The elements of a MATLAB struct array as loaded with squeeze_me: a lone struct
    comes back bare, an empty field as an empty array, a missing one as None."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        return [item for item in value.ravel() if not isinstance(item, np.ndarray) or item.size]
    return [value]


def _image_name(annotation) -> str | None:
    name = getattr(getattr(annotation, "image", None), "name", None)
    return name if isinstance(name, str) and name else None


def _joints(points: list) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates [16, 2] (0-based) and COCO visibility [16] of one person's points."""
    k = MPII16.num_keypoints
    xy = np.zeros((k, 2), dtype=np.float32)
    v = np.zeros(k, dtype=np.int64)
    for point in points:
        joint = _number(getattr(point, "id", None))
        x, y = _number(getattr(point, "x", None)), _number(getattr(point, "y", None))
        if joint is None or x is None or y is None or not 0 <= joint < k:
            continue
        # MATLAB pixel coordinates are 1-based.
        xy[int(joint)] = (x - 1.0, y - 1.0)
        v[int(joint)] = 1 if _number(getattr(point, "is_visible", None)) == 0 else 2
    return xy, v


def _head_size(person) -> float:
    box = [_number(getattr(person, field, None)) for field in ("x1", "y1", "x2", "y2")]
    if any(value is None for value in box):
        return math.nan
    x1, y1, x2, y2 = box
    return _HEAD_SIZE_FACTOR * math.hypot(x2 - x1, y2 - y1)


def _number(value) -> float | None:
    """A MATLAB scalar that may arrive as a number, a one-element array or a string
    ('1'); None for an empty or non-numeric value."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    array = np.asarray(value) if value is not None else np.array([])
    if array.size != 1 or not np.issubdtype(array.dtype, np.number):
        return None
    number = float(array.reshape(()))
    return number if math.isfinite(number) else None
