"""Score a labelled dataset: the pool scores plus each item's true heatmap loss."""

import collections
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader

from ml.data import KeypointDataset
from ml.losses import per_image_heatmap_loss
from ml.models import PoseModel
from ml.precision import autocast_for
from ml.score import PoolScores, summarise_output


@dataclass
class Evaluation(PoolScores):
    """One row per dataset item (a person); image_index holds the item's index in the dataset."""

    true_loss: np.ndarray  # [N] per_image_heatmap_loss against the ground truth


def evaluate(
    model: PoseModel, dataset: KeypointDataset, *, device: str | torch.device, batch_size: int = 64
) -> Evaluation:
    """Run the model (eval mode, no augmentation) over a labelled dataset; keypoints in original pixels."""
    if len(dataset) == 0:
        raise ValueError("evaluate needs at least one image")
    if dataset.train:
        raise ValueError("evaluate needs a dataset with train=False: augmentation would move the targets")
    device = torch.device(device)
    model.eval().to(device)
    stride = dataset.input_size / dataset.heatmap_size
    autocast = autocast_for(device)
    parts: dict[str, list[torch.Tensor]] = collections.defaultdict(list)
    with torch.inference_mode():
        for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            with autocast:
                output = model(batch["image"].to(device))
            targets, weight = batch["heatmaps"].to(device), batch["weight"].to(device)
            parts["true_loss"].append(per_image_heatmap_loss(output.heatmaps, targets, weight).cpu())
            for name, value in summarise_output(output, batch["transform"], stride=stride).items():
                parts[name].append(value)
            parts["image_index"].append(batch["index"])
            parts["boxes"].append(batch["box"].float())
    return Evaluation(**{name: torch.cat(values).numpy() for name, values in parts.items()})
