import numpy as np
import pytest
import torch
from torch import nn

from ml.inference import inference_model
from ml.models import create_model
from ml.preprocess import letterbox, to_input
from ml.score import score_pool, summarise_output


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = create_model("hg-tiny", channels=16, depth=2, input_size=32, head="conv")
    # Running statistics away from their initial 0 and 1, so that a wrong fold would show.
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def _images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8) for h, w in [(32, 32), (20, 50), (61, 17)]]


def test_folded_copy_computes_what_the_model_computes_and_leaves_it_training(model):
    def batchnorms(module):
        return sum(isinstance(m, nn.BatchNorm2d) for m in module.modules())

    model.train()
    before = batchnorms(model)
    network = inference_model(model)
    assert model.training and not network.training
    assert batchnorms(model) == before > batchnorms(network)
    model.eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.inference_mode():
        expected, got = model(x), network(x.contiguous(memory_format=torch.channels_last))
    for name in ("heatmaps", "loss", "features"):
        torch.testing.assert_close(getattr(got, name), getattr(expected, name), rtol=1e-4, atol=1e-5)


def test_copy_follows_the_models_weights(model):
    first = inference_model(model)
    assert inference_model(model) is first
    with torch.no_grad():
        model.backbone.heatmap[0].bias.add_(1.0)
    x = torch.randn(1, 3, 32, 32)
    with torch.inference_mode():
        torch.testing.assert_close(inference_model(model)(x).heatmaps, model(x).heatmaps, rtol=1e-4, atol=1e-5)


def test_scores_match_the_plain_forward_row_for_row(model):
    images = _images()
    scores = score_pool(model, images, device="cpu", batch_size=2)
    letterboxed = [letterbox(image, 32) for image in images]
    inputs = torch.stack([to_input(pixels) for pixels, _ in letterboxed])
    transforms = torch.from_numpy(np.stack([transform for _, transform in letterboxed]))
    with torch.inference_mode():
        expected = summarise_output(model(inputs), transforms, stride=4.0)
    for name, values in expected.items():
        np.testing.assert_allclose(getattr(scores, name), values.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
