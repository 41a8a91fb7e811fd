"""The network as scoring runs it: a copy with BatchNorm folded into the convolutions, in channels-last memory.

The copy computes what the model computes (to float rounding) and leaves the model itself untouched, so
training goes on with its own BatchNorm layers. A copy costs a few hundred milliseconds (a deep copy and
an FX trace), so one is kept per model and made again only when the model's weights change.
"""

import copy
import weakref

import torch
from torch.fx.experimental.optimization import fuse

from ml.models import PoseModel

# model -> (its weights' fingerprint, the copy); a model's entry goes when the model does.
_copies: "weakref.WeakKeyDictionary[PoseModel, tuple[tuple, PoseModel]]" = weakref.WeakKeyDictionary()


def inference_model(model: PoseModel) -> PoseModel:
    """An eval-mode copy of model on model's device for forward passes under torch.inference_mode().

    Every convolution followed only by a BatchNorm absorbs it (the pre-activation BatchNorms of the
    hourglass's residuals read a sum, not a convolution, and stay), and parameters and buffers are
    channels-last, the layout oneDNN's CPU convolutions and the GPUs' tensor cores run fastest in.
    Feed it channels-last inputs (ml.preprocess.standardise_batch) to spare it a conversion. Any other module with
    PoseModel's interface (a stand-in for one) is returned as it is.
    """
    if not isinstance(model, PoseModel):
        return model
    fingerprint = _weights_fingerprint(model)
    cached = _copies.get(model)
    if cached is not None and fingerprint is not None and cached[0] == fingerprint:
        return cached[1]
    was_training = model.training
    model.eval()  # folding needs the running statistics BatchNorm uses in eval mode
    try:
        # fuse traces the backbone with torch.fx and folds on a deep copy of it.
        backbone = fuse(model.backbone)
    finally:
        model.train(was_training)
    head = copy.deepcopy(model.head).eval()
    prepared = PoseModel(model.config, backbone=backbone, head=head).eval().to(memory_format=torch.channels_last)
    if fingerprint is not None:
        _copies[model] = (fingerprint, prepared)
    return prepared


def _weights_fingerprint(model: PoseModel) -> tuple | None:
    """What changes whenever the model's weights do: each tensor's storage, device and in-place version.

    An optimiser step, load_state_dict or .to() changes it. None for a model whose tensors were made under
    inference mode: they keep no version counter, so such a model is copied afresh on every call.
    """
    tensors = list(model.state_dict(keep_vars=True).values())
    if any(tensor.is_inference() for tensor in tensors):
        return None
    return tuple((tensor.data_ptr(), tensor.device, tensor._version) for tensor in tensors)
