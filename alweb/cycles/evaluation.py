"""Measure a trained model on a project's labelled images, the way ml/ measures it everywhere."""

import numpy as np
import torch

from alweb.cycles.labelled_data import LabelledSet, keypoint_dataset
from ml.evaluate import Evaluation, evaluate
from ml.metrics import pck_normaliser, per_image_pck
from ml.models import PoseModel
from ml.skeletons import Skeleton

PCK_ALPHA = 0.2


def evaluate_labelled(
    model: PoseModel, data: LabelledSet, *, skeleton: Skeleton, device: torch.device
) -> tuple[Evaluation, np.ndarray]:
    """Forward every labelled image once (no augmentation): the scores with true losses, and PCK@0.2 [N].

    PCK is NaN for an image whose normaliser is undefined (fewer than two labelled points).
    """
    dataset = keypoint_dataset(data, skeleton=skeleton, input_size=model.config.input_size, train=False)
    scores = evaluate(model, dataset, device=device)
    normaliser = pck_normaliser(data.keypoints, data.visibility, skeleton)
    pck = per_image_pck(scores.keypoints, data.keypoints, data.visibility, normaliser, PCK_ALPHA)
    return scores, pck
