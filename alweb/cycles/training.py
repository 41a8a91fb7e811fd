"""The training phase's work: fit the pose network and its loss head on a project's labelled images.

It computes and returns; it writes no row. The pipeline stores what it returns, and the
progress callback it passes in is where leases are checked and progress is saved.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from django.conf import settings

from alweb.cycles import artefacts
from alweb.cycles.evaluation import evaluate_labelled
from alweb.cycles.labelled_data import keypoint_dataset, labelled_set, project_skeleton
from alweb.cycles.models import Cycle
from alweb.cycles.selectors import active_model_version, training_images, validation_images
from alweb.cycles.shapes import IMAGENET, PREVIOUS_CYCLE, RANDOM, RANDOM_NO_FILE
from ml.models import PoseModel, create_model, load_backbone_weights
from ml.strategies import strategy_spec
from ml.train import Progress, TrainConfig, fit


@dataclass
class TrainedModel:
    model: PoseModel
    metrics: dict  # stored with the model version: val_pck, epochs, history, train_losses...
    labelled_features: np.ndarray  # [M,D] features of the training images, for coreset selection


def train_cycle_model(
    *,
    cycle: Cycle,
    device: torch.device,
    checkpoint_path: Path,
    batch_size: int,
    lr: float,
    progress: Callable[[Progress], None],
    weights_chosen: Callable[[str], None],
) -> TrainedModel:
    """Train (or resume training from checkpoint_path) the cycle's model and measure it.

    weights_chosen is told where the network starts: one of shapes.STARTING_WEIGHTS.
    """
    project = cycle.project
    skeleton = project_skeleton(project)
    spec = strategy_spec(cycle.strategy)
    model = create_model(cycle.model_name, num_keypoints=skeleton.num_keypoints, head=spec.head)
    warm_start = _warm_start(cycle, model)
    starting_weights = _starting_weights(model, warm_start=warm_start)
    weights_chosen(starting_weights)
    data = labelled_set(training_images(project=project), num_keypoints=skeleton.num_keypoints)
    if not data.image_ids:
        raise ValueError("No labelled person to train on: every label is empty, a crowd region or unlabelled points.")
    dataset = keypoint_dataset(data, skeleton=skeleton, input_size=model.config.input_size, train=True)
    config = TrainConfig(
        epochs=cycle.epochs,
        head_epochs=cycle.head_epochs,
        batch_size=min(batch_size, len(dataset)),
        lr=lr,
        objective=spec.objective,
        seed=cycle.id,
        progress_every=1,
    )
    result = fit(
        model,
        dataset,
        config=config,
        device=device,
        checkpoint_path=checkpoint_path,
        warm_start=warm_start,
        progress=progress,
    )
    train_eval, _ = evaluate_labelled(model, data, skeleton=skeleton, device=device)
    val_data = labelled_set(validation_images(project=project), num_keypoints=skeleton.num_keypoints)
    val_pck = None
    if val_data.image_ids:
        _, val_pcks = evaluate_labelled(model, val_data, skeleton=skeleton, device=device)
        val_pck = float(np.nanmean(val_pcks))
    metrics = {
        "val_pck": val_pck,
        "starting_weights": starting_weights,
        "epochs": result.epochs,
        "resumed_at_epoch": result.start_epoch,
        "train_seconds": round(result.seconds, 1),
        "history": result.history,
        "train_losses": [round(float(v), 6) for v in train_eval.true_loss],
    }
    return TrainedModel(model=model, metrics=metrics, labelled_features=train_eval.features)


def _starting_weights(model: PoseModel, *, warm_start: dict | None) -> str:
    """Where the network starts, loading ImageNet weights into a ResNet backbone when the deployment has them.

    Nothing is downloaded at run time: BACKBONE_WEIGHTS names a local file of torchvision's
    ImageNet state dict for the chosen ResNet.
    """
    if warm_start is not None:
        return PREVIOUS_CYCLE
    if not model.config.pretrainable:
        return RANDOM
    if not settings.BACKBONE_WEIGHTS:
        return RANDOM_NO_FILE
    load_backbone_weights(model, settings.BACKBONE_WEIGHTS)
    return IMAGENET


def _warm_start(cycle: Cycle, model: PoseModel) -> dict | None:
    """The active model's weights when it has the same architecture: later cycles start from it."""
    active = active_model_version(project=cycle.project)
    if active is None or not active.checkpoint:
        return None
    previous = artefacts.model_load(name=active.checkpoint.name)
    if previous.config != model.config:
        return None
    return previous.state_dict()
