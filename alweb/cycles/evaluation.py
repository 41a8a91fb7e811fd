"""Measure a trained model on labelled images: true losses, PCK, features."""
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader

from alweb.cycles.labelled_data import LabelledSet, keypoint_dataset
from ml.decode import decode_heatmaps, to_original
from ml.losses import per_image_heatmap_loss
from ml.metrics import per_image_pck, torso_size
from ml.models import PoseModel
from ml.skeletons import Skeleton

PCK_ALPHA = 0.2


@dataclass
class Evaluation:
    true_loss: np.ndarray     # [N] heatmap loss against the labels (what the head learns to predict)
    predicted_loss: np.ndarray  # [N]
    pck: np.ndarray           # [N] per-image PCK@0.2, NaN where it is undefined
    features: np.ndarray      # [N,D]


def pck_normaliser(gt: np.ndarray, visibility: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Torso size where the skeleton names shoulders and hips, else the labelled points' extent."""
    try:
        return torso_size(gt, visibility, skeleton)
    except (KeyError, ValueError):
        labelled = visibility > 0
        sizes = []
        for points, mask in zip(gt, labelled):
            chosen = points[mask]
            sizes.append(float(np.ptp(chosen, axis=0).max()) if len(chosen) > 1 else np.nan)
        return np.asarray(sizes)


@torch.inference_mode()
def evaluate(model: PoseModel, data: LabelledSet, *, skeleton: Skeleton, device: torch.device,
             batch_size: int = 32) -> Evaluation:
    """Forward every labelled image once (no augmentation) and compare with its label."""
    dataset = keypoint_dataset(data, skeleton=skeleton, input_size=model.config.input_size, train=False)
    model.eval().to(device)
    stride = model.config.input_size / model.config.heatmap_size
    losses, predicted, features, keypoints = [], [], [], []
    for batch in DataLoader(dataset, batch_size=batch_size):
        out = model(batch["image"].to(device))
        losses.append(per_image_heatmap_loss(out.heatmaps.float(), batch["heatmaps"].to(device),
                                             batch["weight"].to(device)).cpu())
        predicted.append(out.loss.float().cpu())
        features.append(out.features.float().cpu())
        decoded, _ = decode_heatmaps(out.heatmaps[:, -1].float(), scale_to_input=stride)
        keypoints.append(to_original(decoded, batch["transform"].to(device)).float().cpu())
    pred_points = torch.cat(keypoints).numpy()
    normaliser = pck_normaliser(data.keypoints, data.visibility, skeleton)
    return Evaluation(
        true_loss=torch.cat(losses).numpy(),
        predicted_loss=torch.cat(predicted).numpy(),
        pck=per_image_pck(pred_points, data.keypoints, data.visibility, normaliser, PCK_ALPHA),
        features=torch.cat(features).numpy(),
    )
