import dataclasses

import pytest
import torch

from ml.models import PRESETS, create_model

TINY = dict(channels=16, depth=2, input_size=32)


@pytest.mark.parametrize("head", ["gap", "conv"])
def test_forward_shapes(head):
    model = create_model("hg-tiny", head=head, nstack=2, num_keypoints=16, **TINY)
    out = model(torch.randn(3, 3, 32, 32))
    assert out.heatmaps.shape == (3, 2, 16, 8, 8)
    assert out.loss.shape == (3,)
    assert out.features.shape == (3, 16)


@pytest.mark.parametrize("head", ["gap", "conv"])
def test_head_reads_detached_features(head):
    model = create_model("hg-tiny", head=head, **TINY)
    out = model(torch.randn(4, 3, 32, 32))
    out.loss.sum().backward()
    backbone_grads = [p.grad for p in model.backbone.parameters()]
    assert all(g is None for g in backbone_grads)
    assert all(p.grad is not None for p in model.head.parameters())


def test_presets_and_overrides():
    assert dataclasses.asdict(PRESETS["hg-paper"]) | {} == {
        "nstack": 2, "channels": 256, "depth": 4, "input_size": 256, "num_keypoints": 14, "head": "gap", "dropout": 0.0}
    assert PRESETS["hg-paper"].heatmap_size == 64 and PRESETS["hg-tiny"].heatmap_size == 32
    model = create_model("hg-tiny", head="conv", num_keypoints=16, **TINY)
    assert model.config.head == "conv" and model.config.num_keypoints == 16
    with pytest.raises(KeyError):
        create_model("resnet")
    with pytest.raises(TypeError):
        create_model("hg-tiny", colour="blue")
    with pytest.raises(ValueError):
        create_model("hg-tiny", head="mlp")
