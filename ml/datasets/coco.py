"""COCO person keypoints (person_keypoints_*.json)."""

import json
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ml.datasets.records import PoseRecords
from ml.skeletons import COCO17


def load_coco_keypoints(annotation_json: Path, images_dir: Path) -> PoseRecords:
    """One record per annotation with num_keypoints > 0 (and a labelled joint), images
    under images_dir.

    COCO keypoints are already pixel indices (centres at integers) and COCO visibility,
    so both pass through unchanged. Raises ValueError on a file_name that could leave
    images_dir (absolute, drive-qualified or containing ".."), on a keypoint list that is
    not 17 x (x, y, v), on v outside {0, 1, 2} or non-finite coordinates, and on an
    annotation whose image_id has no image.
    """
    with open(annotation_json, encoding="utf-8") as handle:
        coco = json.load(handle)
    images_dir = Path(images_dir)
    file_names = {image["id"]: _safe_file_name(image["file_name"]) for image in coco.get("images", [])}
    k = COCO17.num_keypoints
    paths, keypoints, visibility = [], [], []
    for annotation in coco.get("annotations", []):
        if annotation.get("num_keypoints", 1) <= 0:
            continue
        name = f"annotation {annotation.get('id')}"
        values = np.asarray(annotation.get("keypoints", []), dtype=np.float64)
        if values.shape != (3 * k,):
            raise ValueError(f"{name}: expected {3 * k} keypoint values, got {values.size}")
        xyv = values.reshape(k, 3)
        if not np.isin(xyv[:, 2], (0, 1, 2)).all() or not np.isfinite(xyv).all():
            raise ValueError(f"{name}: visibility outside {{0, 1, 2}} or non-finite keypoints")
        if not (xyv[:, 2] > 0).any():
            continue
        if annotation.get("image_id") not in file_names:
            raise ValueError(f"{name}: image_id {annotation.get('image_id')} has no image")
        paths.append(images_dir / file_names[annotation["image_id"]])
        keypoints.append(xyv[:, :2])
        visibility.append(xyv[:, 2])
    return PoseRecords(
        image_paths=paths,
        keypoints=np.array(keypoints, dtype=np.float32).reshape(-1, k, 2),
        visibility=np.array(visibility, dtype=np.int64).reshape(-1, k),
        skeleton=COCO17,
    )


def _safe_file_name(file_name: str) -> str:
    """The name itself when it stays inside the images folder, else ValueError."""
    if not isinstance(file_name, str) or not file_name:
        raise ValueError(f"file_name must be a non-empty string, got {file_name!r}")
    for path in (PurePosixPath(file_name), PureWindowsPath(file_name)):
        if path.is_absolute() or path.drive or path.root or ".." in path.parts:
            raise ValueError(f"file_name {file_name!r} must be a relative path inside the images folder")
    return file_name
