import numpy as np
import pytest
import torch

from ml.affine import apply_points
from ml.data import KeypointDataset
from ml.decode import decode_heatmaps, to_original
from ml.preprocess import letterbox
from ml.skeletons import LSP14
from ml.targets import make_heatmaps


@pytest.mark.parametrize("height,width", [(128, 128), (200, 300), (170, 90), (37, 500)])
def test_round_trip_in_original_pixels(height, width):
    rng = np.random.default_rng(height * width)
    image = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
    kp = np.stack([rng.uniform(0.1 * width, 0.9 * width, 14), rng.uniform(0.1 * height, 0.9 * height, 14)], axis=1)
    ds = KeypointDataset(image[None], kp[None], np.full((1, 14), 2), skeleton=LSP14, input_size=128)
    item = ds[0]
    pred, maxvals = decode_heatmaps(item["heatmaps"][None], scale_to_input=128 / 32)
    restored = to_original(pred, item["transform"][None])[0].numpy()
    assert np.abs(restored - kp).max() < 0.5
    assert maxvals.min().item() > 25.0


def test_sub_pixel_refinement_recovers_gaussian_centre():
    kp = np.array([[13.37, 40.2], [2.0, 2.0], [60.9, 33.51]])
    heatmaps, _ = make_heatmaps(kp, np.full(3, 2), input_size=64, heatmap_size=64)
    pred, _ = decode_heatmaps(heatmaps[None], scale_to_input=1.0)
    np.testing.assert_allclose(pred[0].numpy(), kp, atol=0.02)


def test_heatmap_pixel_centres_map_to_input_pixel_centres():
    heatmaps = torch.zeros(1, 2, 8, 8)
    heatmaps[0, 0, 0, 0] = 1.0  # a lone spike: no neighbour to refine toward
    heatmaps[0, 1, 5, 2] = 1.0
    pred, maxvals = decode_heatmaps(heatmaps, scale_to_input=4.0)
    # Heatmap pixel x covers input pixels 4x .. 4x+3, whose centre is 4x + 1.5.
    assert pred[0].tolist() == [[1.5, 1.5], [9.5, 21.5]]
    assert maxvals.tolist() == [[1.0, 1.0]]


def test_to_original_inverts_letterbox():
    image = np.zeros((50, 80, 3), dtype=np.uint8)
    _, transform = letterbox(image, 64)
    points = np.array([[0.0, 0.0], [79.0, 49.0], [12.3, 45.6]])
    mapped = torch.tensor(apply_points(transform, points), dtype=torch.float32)[None]
    back = to_original(mapped, torch.tensor(transform)[None])[0].numpy()
    np.testing.assert_allclose(back, points, atol=1e-4)
