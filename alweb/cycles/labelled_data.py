"""Turn a project's labelled images into the arrays and datasets ml/ trains on."""

from dataclasses import dataclass

import numpy as np

from alweb.annotations.instances import trainable
from alweb.cycles.image_sources import StoredImages
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
    """One row per trainable person instance (see alweb.annotations.instances.trainable)."""

    image_ids: list[int]  # the image each row comes from
    sources: StoredImages
    boxes: np.ndarray  # [N,4] x, y, w, h in upright-image pixels
    keypoints: np.ndarray  # [N,K,2] upright-image pixels
    visibility: np.ndarray  # [N,K] COCO 0/1/2


def labelled_set(images, *, num_keypoints: int) -> LabelledSet:
    """Arrays of the labels of images (a queryset with select_related("annotation")), instance by instance.

    Crowd regions and persons without a labelled point teach nothing, so they are left out.
    """
    image_ids, names, boxes, points = [], [], [], []
    for image in images:
        for instance in image.annotation.instances:
            if trainable(instance):
                image_ids.append(image.id)
                names.append(image.file.name)
                boxes.append(instance["bbox"])
                points.append(instance["keypoints"])
    points_array = np.array(points, dtype=np.float64).reshape(len(points), num_keypoints, 3)
    return LabelledSet(
        image_ids=image_ids,
        sources=StoredImages(names),
        boxes=np.array(boxes, dtype=np.float64).reshape(len(boxes), 4),
        keypoints=points_array[:, :, :2],
        visibility=points_array[:, :, 2].astype(np.int64),
    )


def keypoint_dataset(data: LabelledSet, *, skeleton: Skeleton, input_size: int, train: bool) -> KeypointDataset:
    return KeypointDataset(
        data.sources,
        data.keypoints,
        data.visibility,
        boxes=data.boxes,
        skeleton=skeleton,
        input_size=input_size,
        train=train,
    )
