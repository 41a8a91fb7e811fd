"""score_pool with person boxes: one row per crop, images decoded once, and per-image priorities."""

import numpy as np
import pytest
import torch

from ml.decode import decode_heatmaps, to_original
from ml.inference import inference_model
from ml.models import create_model
from ml.preprocess import to_input
from ml.score import _batches, _BatchScorer, _pool_items, per_image_max, score_pool
from ml.topdown import DEFAULT_PADDING, crop_instance, whole_image_box

INPUT = 32


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return create_model("hg-tiny", channels=16, depth=2, input_size=INPUT).eval()


def _images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8) for h, w in [(40, 60), (80, 50), (30, 30)]]


BOXES = [[5.0, 5.0, 20.0, 30.0], [30.0, 40.0, 25.0, 20.0], [-10.0, 60.0, 30.0, 30.0]]


def _score_crop(model, image, box):
    """The keypoints [K,2] and predicted loss of one crop, scored by hand."""
    pixels, transform = crop_instance(image, box, input_size=INPUT)
    with torch.inference_mode():
        output = model(to_input(pixels)[None])
    keypoints, _ = decode_heatmaps(output.heatmaps[:, -1], scale_to_input=4.0)
    return to_original(keypoints, torch.from_numpy(transform)[None])[0].numpy(), output.loss[0].item()


def test_each_person_scores_as_its_own_crop(model):
    image = _images()[1]
    scores = score_pool(model, [image], boxes=[BOXES], device="cpu")
    np.testing.assert_array_equal(scores.image_index, [0, 0, 0])
    np.testing.assert_array_equal(scores.boxes, np.float32(BOXES))
    assert scores.features.shape == (3, 16) and scores.confidence.shape == (3, 14)
    for row, box in enumerate(BOXES):
        keypoints, loss = _score_crop(model, image, box)
        np.testing.assert_allclose(scores.keypoints[row], keypoints, atol=1e-3)
        assert scores.predicted_loss[row] == pytest.approx(loss, abs=1e-5)


# Batches of whole images on a CPU: image 1 has 3 people, more than a batch of 2 holds.
@pytest.mark.parametrize("batch_size,progress", [(2, [1, 2, 3]), (3, [1, 2, 3]), (4, [2, 3]), (8, [3])])
def test_batches_mix_images_and_progress_counts_images(model, batch_size, progress):
    images = _images()
    seen = []
    scores = score_pool(
        model, iter(images), boxes=[None, BOXES, []], device="cpu", batch_size=batch_size, progress=seen.append
    )
    assert seen == progress
    np.testing.assert_array_equal(scores.image_index, [0, 1, 1, 1, 2])
    np.testing.assert_array_equal(scores.boxes[[0, 4]], [whole_image_box(60, 40), whole_image_box(30, 30)])
    # An image without boxes is scored exactly as without any boxes at all.
    whole = score_pool(model, [images[0], images[2]], device="cpu")
    for name in ("predicted_loss", "keypoints", "confidence", "features", "heatmap_entropy"):
        np.testing.assert_allclose(getattr(scores, name)[[0, 4]], getattr(whole, name), rtol=1e-5, atol=1e-5)


def test_the_gpu_pipeline_fills_every_batch_and_scores_as_the_cpu_streams_do(model):
    """A GPU's batches are full, an image's people spanning two; run here on the CPU, they give the same rows."""
    images, boxes = _images(), [None, BOXES, []]
    scorer = _BatchScorer(inference_model(model), torch.device("cpu"), stride=4.0, batch_size=3)
    batches = list(_batches(_pool_items(iter(images), boxes), input_size=INPUT, padding=DEFAULT_PADDING, batch_size=3))
    assert [len(batch.crops.boxes) for batch in batches] == [3, 2]
    assert [batch.images_done for batch in batches] == [1, 3]
    rows = [scorer.score_batch(batch)[0] for batch in batches]
    streams = score_pool(model, images, boxes=boxes, device="cpu", batch_size=3)
    for name in ("predicted_loss", "keypoints", "confidence", "features", "heatmap_entropy", "image_index", "boxes"):
        pipeline = torch.cat([batch_rows[name] for batch_rows in rows]).numpy()
        np.testing.assert_allclose(pipeline, getattr(streams, name), rtol=1e-5, atol=1e-5)


def test_without_boxes_a_row_is_an_image(model):
    images = _images()
    scores = score_pool(model, images, device="cpu", batch_size=2)
    np.testing.assert_array_equal(scores.image_index, [0, 1, 2])
    assert scores.image_index.dtype == np.int64 and scores.boxes.dtype == np.float32
    np.testing.assert_array_equal(scores.boxes, [whole_image_box(w, h) for h, w, _ in (i.shape for i in images)])
    boxes = [[whole_image_box(w, h)] for h, w, _ in (i.shape for i in images)]
    explicit = score_pool(model, images, boxes=boxes, device="cpu", batch_size=2)
    np.testing.assert_array_equal(explicit.keypoints, scores.keypoints)
    np.testing.assert_array_equal(explicit.predicted_loss, scores.predicted_loss)


def test_empty_pool_has_the_shapes_of_rows(model):
    scores = score_pool(model, [], boxes=[], device="cpu")
    assert scores.keypoints.shape == (0, 14, 2) and scores.features.shape == (0, 16)
    assert scores.image_index.shape == (0,) and scores.boxes.shape == (0, 4)


def test_boxes_must_line_up_with_the_images(model):
    with pytest.raises(ValueError, match="3 entries for 2 images"):
        score_pool(model, _images()[:2], boxes=[None, None, None], device="cpu")
    with pytest.raises(ValueError, match="1 entries but the pool has more images"):
        score_pool(model, _images()[:2], boxes=[None], device="cpu")
    with pytest.raises(ValueError, match=r"image 1 of the pool must be \[M,4\]"):
        score_pool(model, _images(), boxes=[None, [1.0, 2.0, 3.0, 4.0], None], device="cpu")
    with pytest.raises(ValueError, match="image 2 of the pool"):
        score_pool(model, _images(), boxes=[None, None, [[0.0, 0.0, 0.0, 0.0]]], device="cpu")


def test_per_image_max_picks_each_images_top_row():
    values = np.array([1.0, 5.0, 3.0, np.nan, 2.0, np.nan])
    image_index = np.array([0, 0, 1, 1, 3, 4])
    best, rows = per_image_max(values, image_index, 5)
    np.testing.assert_array_equal(best[[0, 1, 2, 3]], [5.0, 3.0, -np.inf, 2.0])
    np.testing.assert_array_equal(rows, [1, 2, -1, 4, 5])
    assert np.isnan(best[4])
    with pytest.raises(ValueError):
        per_image_max(values, image_index, 4)
