import dataclasses

import pytest
import torch

from ml.models import PRESETS, create_head, create_model, run_head

TINY = {"channels": 16, "depth": 2, "input_size": 32}


@pytest.mark.parametrize("head", ["gap", "conv"])
def test_forward_shapes(head):
    model = create_model("hg-tiny", head=head, nstack=2, num_keypoints=16, **TINY)
    out = model(torch.randn(3, 3, 32, 32))
    assert out.heatmaps.shape == (3, 2, 16, 8, 8)
    assert out.loss.shape == (3,)
    assert out.features.shape == (3, 16)
    assert [tuple(s.shape) for s in out.scales] == [(3, 16, 8, 8), (3, 16, 4, 4), (3, 16, 2, 2)]


@pytest.mark.parametrize("head", ["gap", "conv"])
def test_head_reads_detached_features(head):
    model = create_model("hg-tiny", head=head, **TINY)
    out = model(torch.randn(4, 3, 32, 32))
    out.loss.sum().backward()
    backbone_grads = [p.grad for p in model.backbone.parameters()]
    assert all(g is None for g in backbone_grads)
    assert all(p.grad is not None for p in model.head.parameters())


@pytest.mark.parametrize("head", ["gap", "conv"])
def test_heads_run_in_float32_under_bf16_autocast(head):
    torch.manual_seed(0)
    model = create_model("hg-tiny", head=head, **TINY).eval()
    side = create_head("conv" if head == "gap" else "gap", model.config)
    images = torch.randn(2, 3, 32, 32)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(images)
        side_loss = run_head(side, out.features, out.scales)
    assert out.heatmaps.dtype == torch.bfloat16  # the network itself does run in bf16
    assert out.loss.dtype == out.features.dtype == side_loss.dtype == torch.float32
    with torch.inference_mode():
        reference = model.head(*model.encode(images)[1:])
    torch.testing.assert_close(out.loss, reference, rtol=0.1, atol=0.1)


def test_with_head_shares_the_backbone():
    model = create_model("hg-tiny", **TINY)
    conv = create_head("conv", model.config)
    other = model.with_head(conv, "conv")
    assert other.backbone is model.backbone and other.head is conv
    assert all(a is b for a, b in zip(other.backbone.parameters(), model.backbone.parameters(), strict=True))
    assert other.config == dataclasses.replace(model.config, head="conv")
    # The same keys as a model built with that head: it saves and loads like one.
    assert other.state_dict().keys() == create_model("hg-tiny", head="conv", **TINY).state_dict().keys()
    model.eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        a, b = model(images), other(images)
        torch.testing.assert_close(a.heatmaps, b.heatmaps, rtol=0, atol=0)
        torch.testing.assert_close(b.loss, conv(b.features, b.scales), rtol=0, atol=0)
    with pytest.raises(ValueError):
        model.with_head(conv, "mlp")


def test_state_dict_keys_are_backbone_and_head():
    # Stored models load by these keys.
    keys = create_model("hg-tiny", head="conv", **TINY).state_dict().keys()
    assert {key.split(".")[0] for key in keys} == {"backbone", "head"}
    assert "head.to_vector.weight" in keys and "backbone.stem.0.weight" in keys


def test_presets_and_overrides():
    assert dataclasses.asdict(PRESETS["hg-paper"]) | {} == {
        "nstack": 2,
        "channels": 256,
        "depth": 4,
        "input_size": 256,
        "num_keypoints": 14,
        "head": "gap",
        "dropout": 0.0,
        "backbone": "hourglass",
    }
    assert PRESETS["hg-paper"].heatmap_size == 64 and PRESETS["hg-tiny"].heatmap_size == 32
    model = create_model("hg-tiny", head="conv", num_keypoints=16, **TINY)
    assert model.config.head == "conv" and model.config.num_keypoints == 16
    with pytest.raises(KeyError):
        create_model("resnet")
    with pytest.raises(TypeError):
        create_model("hg-tiny", colour="blue")
    with pytest.raises(ValueError):
        create_model("hg-tiny", head="mlp")
    with pytest.raises(ValueError):
        create_head("mlp", model.config)
