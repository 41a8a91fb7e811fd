"""The Simple Baselines presets: shapes, both loss heads, ImageNet weights by torchvision's names, checkpoints.

Small inputs (64 px, the smallest multiple of the ResNet's stride 32 that leaves a 2x2 last stage) keep
these fast; nothing here downloads weights.
"""

import dataclasses
import os

import numpy as np
import pytest
import torch

from ml.data import KeypointDataset
from ml.models import PRESETS, PoseConfig, PoseModel, create_head, create_model, load_backbone_weights
from ml.score import score_pool
from ml.skeletons import LSP14
from ml.train import TrainConfig, fit

SMALL = {"input_size": 64, "num_keypoints": 5}
STAGES = {"resnet18-simple": (64, 128, 256, 512), "resnet50-simple": (256, 512, 1024, 2048)}


@pytest.fixture(scope="module")
def models() -> dict[str, PoseModel]:
    torch.manual_seed(0)
    return {name: create_model(name, **SMALL).eval() for name in STAGES}


def test_presets_are_simple_baselines_at_256_pixels():
    for name, channels in STAGES.items():
        config = PRESETS[name]
        assert (config.input_size, config.heatmap_size, config.nstack) == (256, 64, 1)
        assert config.scale_channels == channels and config.feature_size == channels[-1] and config.pretrainable
    assert not PRESETS["hg-tiny"].pretrainable and PRESETS["hg-tiny"].feature_size == PRESETS["hg-tiny"].channels


@pytest.mark.parametrize("name", STAGES)
def test_forward_shapes_with_both_heads(models, name):
    model, channels = models[name], STAGES[name]
    conv = model.with_head(create_head("conv", model.config), "conv").eval()
    with torch.inference_mode():
        out, conv_out = model(torch.randn(1, 3, 64, 64)), conv(torch.randn(1, 3, 64, 64))
    assert out.heatmaps.shape == (1, 1, 5, 16, 16)
    assert out.loss.shape == conv_out.loss.shape == (1,) and out.loss.dtype == torch.float32
    assert out.features.shape == (1, channels[-1]) and out.features.dtype == torch.float32
    assert [tuple(s.shape) for s in out.scales] == [(1, c, 16 // 2**i, 16 // 2**i) for i, c in enumerate(channels)]
    keys = conv.state_dict().keys()
    assert "backbone.trunk.layer4.0.conv1.weight" in keys and "head.project.3.weight" in keys


def test_the_hourglass_conv_head_keeps_its_keys():
    keys = create_model("hg-tiny", head="conv", channels=16, depth=2, input_size=32).state_dict().keys()
    assert not any(key.startswith("head.project") for key in keys) and "head.down.1.weight" in keys


def test_input_size_stacks_and_backbone_are_checked():
    with pytest.raises(ValueError, match="divisible by 32"):
        create_model("resnet18-simple", input_size=48)
    with pytest.raises(ValueError, match="nstack must be 1"):
        create_model("resnet18-simple", nstack=2)
    with pytest.raises(ValueError, match="unknown backbone"):
        PoseConfig(backbone="vgg16")


def torchvision_resnet18_state_dict() -> dict[str, torch.Tensor]:
    """What torchvision.models.resnet18().state_dict() holds, by its names and shapes, with random values."""
    shapes: dict[str, tuple[int, ...]] = {"conv1.weight": (64, 3, 7, 7)}

    def batchnorm(prefix: str, channels: int) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{name}"] = (channels,)
        shapes[f"{prefix}.num_batches_tracked"] = ()

    batchnorm("bn1", 64)
    cin = 64
    for layer, cout in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            prefix = f"layer{layer}.{block}"
            shapes[f"{prefix}.conv1.weight"] = (cout, cin if block == 0 else cout, 3, 3)
            batchnorm(f"{prefix}.bn1", cout)
            shapes[f"{prefix}.conv2.weight"] = (cout, cout, 3, 3)
            batchnorm(f"{prefix}.bn2", cout)
            if block == 0 and layer > 1:
                shapes[f"{prefix}.downsample.0.weight"] = (cout, cin, 1, 1)
                batchnorm(f"{prefix}.downsample.1", cout)
        cin = cout
    shapes["fc.weight"], shapes["fc.bias"] = (1000, 512), (1000,)
    return {
        key: torch.tensor(7) if key.endswith("num_batches_tracked") else torch.randn(shape)
        for key, shape in shapes.items()
    }


def test_imagenet_weights_load_by_torchvision_names(models, tmp_path):
    torch.manual_seed(1)
    reference = torchvision_resnet18_state_dict()
    torch.save(reference, tmp_path / "resnet18.pth")
    load_backbone_weights(models["resnet18-simple"], tmp_path / "resnet18.pth")
    trunk = models["resnet18-simple"].backbone.trunk.state_dict()
    assert trunk.keys() == {key for key in reference if not key.startswith("fc.")}
    for key, value in trunk.items():
        assert torch.equal(value, reference[key]), key
    # Older files have no BatchNorm num_batches_tracked.
    older = {key: value for key, value in reference.items() if not key.endswith("num_batches_tracked")}
    torch.save(older, tmp_path / "older.pth")
    load_backbone_weights(models["resnet18-simple"], tmp_path / "older.pth")


def test_weights_of_another_resnet_are_refused_and_nothing_loads(models, tmp_path):
    torch.save(torchvision_resnet18_state_dict(), tmp_path / "resnet18.pth")
    model = models["resnet50-simple"]
    before = model.backbone.trunk.conv1.weight.clone()
    with pytest.raises(ValueError, match=r"does not fit the resnet50 backbone \(\d+ mismatches\): .*layer1"):
        load_backbone_weights(model, tmp_path / "resnet18.pth")
    assert torch.equal(model.backbone.trunk.conv1.weight, before)
    with pytest.raises(ValueError, match="no ResNet"):
        load_backbone_weights(create_model("hg-tiny", channels=16, depth=2, input_size=32), tmp_path / "resnet18.pth")


class _RunsCodeWhenUnpickled:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.remove, (str(self.path),)


def test_a_file_that_would_run_code_is_refused(models, tmp_path):
    sentinel = tmp_path / "still-here"
    sentinel.touch()
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7), "x": _RunsCodeWhenUnpickled(sentinel)}, tmp_path / "evil.pth")
    with pytest.raises(ValueError, match="weights_only"):
        load_backbone_weights(models["resnet18-simple"], tmp_path / "evil.pth")
    assert sentinel.exists()


def test_scores_people_and_an_empty_pool_with_the_resnet_feature_size(models):
    model = models["resnet18-simple"]
    image = np.random.default_rng(0).integers(0, 255, size=(90, 120, 3), dtype=np.uint8)
    scores = score_pool(model, [image], boxes=[[[10.0, 5.0, 40.0, 80.0], [60.0, 20.0, 50.0, 60.0]]], device="cpu")
    assert scores.keypoints.shape == (2, 5, 2) and scores.features.shape == (2, 512)
    assert score_pool(model, [], device="cpu").features.shape == (0, 512)


def _dataset() -> KeypointDataset:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(2, 32, 32, 3), dtype=np.uint8)
    keypoints = rng.uniform(4, 28, size=(2, 14, 2))
    return KeypointDataset(images, keypoints, np.full((2, 14), 2), skeleton=LSP14, input_size=32, train=True)


def test_training_checkpoints_and_resumes_into_a_model_rebuilt_from_its_config(tmp_path):
    """Exact resume is tested on the hourglass (test_train.py); here the ResNet's parameters, BatchNorm
    buffers and optimiser state go through fit's checkpoint into a model built from the stored config."""
    config = TrainConfig(epochs=1, batch_size=2, seed=3)
    torch.manual_seed(0)
    # 32 px (a 1x1 last stage) and narrow deconvolutions: the same code paths, cheaper.
    trained = create_model("resnet18-simple", input_size=32, channels=32, head="conv")
    fit(trained, _dataset(), config=config, device="cpu", checkpoint_path=tmp_path / "c.pt")
    # As the Django side stores a model's architecture: its config as a plain dict.
    resumed = PoseModel(PoseConfig(**dataclasses.asdict(trained.config)))
    result = fit(resumed, _dataset(), config=config, device="cpu", checkpoint_path=tmp_path / "c.pt")
    assert (result.start_epoch, result.epochs) == (1, 1)  # everything came from the checkpoint
    for (key, value), other in zip(trained.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(value, other), key
