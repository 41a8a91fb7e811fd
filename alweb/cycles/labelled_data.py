"""Turn a project's labelled images into the arrays and datasets ml/ trains on."""

from dataclasses import dataclass

import numpy as np

from alweb.cycles.image_sources import StoredImages
from alweb.images.models import Image
from alweb.projects.models import Project
from ml.data import KeypointDataset
from ml.skeletons import Skeleton


def project_skeleton(project: Project) -> Skeleton:
    return Skeleton(
        keypoints=tuple(project.keypoints),
        edges=tuple(tuple(e) for e in project.edges),
        flip_pairs=tuple(tuple(p) for p in project.flip_pairs),
    )


@dataclass
class LabelledSet:
    image_ids: list[int]
    sources: StoredImages
    keypoints: np.ndarray  # [N,K,2] upright-image pixels
    visibility: np.ndarray  # [N,K] COCO 0/1/2


def labelled_set(images, *, num_keypoints: int) -> LabelledSet:
    """Arrays of the labels of images (a queryset with select_related("annotation"))."""
    rows: list[Image] = list(images)
    points = np.array([row.annotation.keypoints for row in rows], dtype=np.float64).reshape(len(rows), num_keypoints, 3)
    return LabelledSet(
        image_ids=[row.id for row in rows],
        sources=StoredImages([row.file.name for row in rows]),
        keypoints=points[:, :, :2],
        visibility=points[:, :, 2].astype(np.int64),
    )


def keypoint_dataset(data: LabelledSet, *, skeleton: Skeleton, input_size: int, train: bool) -> KeypointDataset:
    return KeypointDataset(
        data.sources, data.keypoints, data.visibility, skeleton=skeleton, input_size=input_size, train=train
    )
