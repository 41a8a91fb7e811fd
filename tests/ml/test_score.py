import io

import numpy as np
import pytest
import torch
from PIL import Image

from ml.decode import decode_heatmaps
from ml.models import create_head, create_model
from ml.preprocess import letterbox, to_input
from ml.score import score_pool


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return create_model("hg-tiny", channels=16, depth=2, input_size=32).eval()


def _images():
    rng = np.random.default_rng(0)
    sizes = [(32, 32), (20, 50), (61, 17), (40, 40), (9, 9)]
    return [rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8) for h, w in sizes]


def test_scores_files_buffers_and_arrays_of_any_size(model, tmp_path):
    arrays = _images()
    sources = []
    for i, array in enumerate(arrays):
        if i % 2:
            path = tmp_path / f"{i}.png"
            Image.fromarray(array).save(path)
            sources.append(str(path) if i == 1 else io.BytesIO(path.read_bytes()))
        else:
            sources.append(array)
    seen = []
    scores = score_pool(model, iter(sources), device="cpu", batch_size=2, progress=seen.append)
    assert seen == [2, 4, 5]
    assert scores.predicted_loss.shape == (5,) and scores.heatmap_entropy.shape == (5,)
    assert scores.keypoints.shape == (5, 14, 2) and scores.confidence.shape == (5, 14)
    assert scores.features.shape == (5, 16)
    assert ((scores.confidence >= 0) & (scores.confidence <= 1)).all()
    # Lossless PNG: decoding a file gives the same scores as the array; batching does not matter.
    reference = score_pool(model, arrays, device="cpu", batch_size=3)
    for name in ("predicted_loss", "keypoints", "features", "heatmap_entropy"):
        np.testing.assert_allclose(getattr(scores, name), getattr(reference, name), rtol=1e-4, atol=1e-4)


def test_keypoints_are_in_original_pixels(model):
    image = _images()[1]  # 20 x 50: letterboxed with vertical padding
    scores = score_pool(model, [image], device="cpu")
    pixels, transform = letterbox(image, 32)
    with torch.inference_mode():
        heatmaps = model(to_input(pixels)[None]).heatmaps[:, -1]
    in_input, _ = decode_heatmaps(heatmaps, scale_to_input=4.0)
    linear, shift = transform[:, :2], transform[:, 2]
    expected = (in_input[0].numpy() - shift) @ np.linalg.inv(linear).T
    np.testing.assert_allclose(scores.keypoints[0], expected, atol=1e-3)


def test_empty_pool(model):
    scores = score_pool(model, [], device="cpu")
    assert scores.keypoints.shape == (0, 14, 2) and scores.features.shape == (0, 16)


def test_unreadable_image_names_its_position(model):
    with pytest.raises(ValueError, match="image 1 of the pool"):
        score_pool(model, [_images()[0], io.BytesIO(b"not an image")], device="cpu")


def test_scores_the_pool_with_a_head_trained_beside_the_model(model):
    torch.manual_seed(1)
    conv = model.with_head(create_head("conv", model.config), "conv")
    own, side = score_pool(model, _images(), device="cpu"), score_pool(conv, _images(), device="cpu")
    np.testing.assert_array_equal(own.keypoints, side.keypoints)
    np.testing.assert_array_equal(own.features, side.features)
    assert not np.allclose(own.predicted_loss, side.predicted_loss)
