"""ImageNet weights for a ResNet backbone, from a state dict file as torchvision saves one."""

import os
import pickle
from typing import BinaryIO

import torch

from ml.models.pose import PoseModel
from ml.models.resnet import SimpleBaseline

# Mismatches named in the error; a wrong architecture would otherwise list hundreds.
_SHOWN = 5


def load_backbone_weights(model: PoseModel, path: str | os.PathLike | BinaryIO) -> None:
    """Load a torchvision ResNet state dict (conv1.*, bn1.*, layer1.*..layer4.*, fc.*) into model's ResNet.

    fc.* is ignored: the pose network has no classifier. Every other key must name a tensor of the
    backbone's ResNet with the same shape, and every tensor of it must be given (BatchNorm's
    num_batches_tracked, absent from older files, excepted), else ValueError names the first mismatches
    and nothing is loaded. Read with weights_only: a file that would run code when unpickled is refused.
    """
    if not isinstance(model.backbone, SimpleBaseline):
        raise ValueError(f"a {model.config.backbone} backbone has no ResNet to load ImageNet weights into")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(f"{path} is not a plain state dict of tensors (weights_only refused it): {error}") from error
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors")
    trunk = model.backbone.trunk
    expected = trunk.state_dict()
    given = {key: value for key, value in state.items() if not key.startswith("fc.")}
    problems = [f"unexpected {key}" for key in given if key not in expected]
    problems += [f"missing {key}" for key in expected if key not in given and not key.endswith("num_batches_tracked")]
    problems += [
        f"{key}: {tuple(given[key].shape)} in the file, {tuple(value.shape)} in {model.config.backbone}"
        for key, value in expected.items()
        if key in given and given[key].shape != value.shape
    ]
    if problems:
        shown = "; ".join(problems[:_SHOWN]) + ("; ..." if len(problems) > _SHOWN else "")
        raise ValueError(
            f"{path} does not fit the {model.config.backbone} backbone ({len(problems)} mismatches): {shown}"
        )
    # A state dict without BatchNorm's num_batches_tracked passes strict loading: BatchNorm fills it in.
    trunk.load_state_dict(given)
