"""The numeric precision of the library's forward passes: bf16 autocast on CUDA, float32 elsewhere."""

import contextlib

import torch


def autocast_for(device: str | torch.device) -> contextlib.AbstractContextManager:
    """The context to run a forward in on `device`.

    On CUDA, bf16 autocast: convolutions run on the tensor cores and activations take half the
    memory, and bf16 keeps float32's exponent range, so training needs no loss scaling (callers
    compute the losses in float32, outside this context). On a CPU, a no-op: most CPUs have no
    bf16 arithmetic, so autocast there would cost time and precision for nothing.
    """
    if torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
