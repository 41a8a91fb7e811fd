"""autocast_for: bf16 autocast on CUDA, nothing on a CPU."""

import contextlib

import pytest
import torch

from ml.precision import autocast_for


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_cpu_runs_in_float32(device):
    context = autocast_for(device)
    assert isinstance(context, contextlib.nullcontext)
    layer = torch.nn.Linear(4, 4)
    with context:
        assert layer(torch.ones(2, 4)).dtype == torch.float32


# Building the context touches no GPU, so the choice is checked on any machine; without one,
# torch warns that it disables the context.
@pytest.mark.filterwarnings("ignore:CUDA is not available")
def test_cuda_gets_bf16_autocast():
    context = autocast_for("cuda:0")
    assert isinstance(context, torch.autocast)
    assert (context.device, context.fast_dtype) == ("cuda", torch.bfloat16)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_forward_runs_in_bf16():
    layer = torch.nn.Linear(4, 4).cuda()
    with autocast_for("cuda"):
        assert layer(torch.ones(2, 4, device="cuda")).dtype == torch.bfloat16
