import io

import numpy as np
import pytest
import torch
from PIL import Image

from ml.augment import AugmentConfig
from ml.data import KeypointDataset
from ml.skeletons import LSP14
from ml.targets import make_heatmaps


def test_heatmap_peak_shape_and_weight():
    kp = np.array([[10.0, 20.0], [50.0, 50.0], [500.0, 3.0], [-3.0, 8.0]])
    vis = np.array([2, 0, 2, 1])
    heatmaps, weight = make_heatmaps(kp, vis, input_size=64, heatmap_size=16, sigma=1.75, peak=30.0)
    assert heatmaps.shape == (4, 16, 16) and heatmaps.dtype == torch.float32
    assert weight.tolist() == [1.0, 0.0, 0.0, 0.0]  # unlabelled, and outside the map, get 0
    assert heatmaps[1:].abs().max() == 0
    # Input (10, 20) lies at heatmap ((10 + 0.5) / 4 - 0.5, (20 + 0.5) / 4 - 0.5) = (2.125, 4.625).
    iy, ix = divmod(int(heatmaps[0].argmax()), 16)
    assert (ix, iy) == (2, 5)
    expected = 30.0 * np.exp(-(0.125**2 + 0.375**2) / (2 * 1.75**2))
    assert heatmaps[0].max().item() == pytest.approx(expected, rel=1e-5)


def _image(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 255, size=(h, w, 3), dtype=np.uint8)


def test_flip_augmentation_swaps_left_and_right_joints():
    size = 32
    image = _image(size, size)
    kp = np.stack([np.linspace(3, 28, 14), np.linspace(5, 26, 14)], axis=1)
    vis = np.array([2] * 13 + [0])
    ds = KeypointDataset(
        image[None],
        kp[None],
        vis[None],
        skeleton=LSP14,
        input_size=size,
        heatmap_size=8,
        train=True,
        augment_config=AugmentConfig(scale=0.0, rotation=0.0, flip=1.0),
    )
    item = ds[0]
    perm = LSP14.flip_permutation()
    expected = np.stack([size - 1 - kp[perm, 0], kp[perm, 1]], axis=1)
    np.testing.assert_allclose(item["keypoints"].numpy(), expected, atol=1e-4)
    assert item["visibility"].tolist() == vis[perm].tolist()
    # r-ankle (0) now sits where the mirrored l-ankle (5) was.
    assert item["keypoints"][0, 0].item() == pytest.approx(size - 1 - kp[5, 0], abs=1e-4)
    plain = KeypointDataset(image[None], kp[None], vis[None], skeleton=LSP14, input_size=size, heatmap_size=8)[0]
    torch.testing.assert_close(item["image"], plain["image"].flip(-1), atol=1e-4, rtol=0)


def test_dataset_reads_arrays_paths_and_file_objects_alike(tmp_path):
    image = _image(40, 60)
    path = tmp_path / "a.png"
    Image.fromarray(image).save(path)
    buffer = io.BytesIO(path.read_bytes())
    kp = np.full((3, 14, 2), 20.0)
    vis = np.full((3, 14), 2)
    ds = KeypointDataset([image, str(path), buffer], kp, vis, skeleton=LSP14, input_size=32)
    items = [ds[i] for i in range(3)]
    for item in items[1:]:
        torch.testing.assert_close(item["image"], items[0]["image"])
    assert items[0]["heatmaps"].shape == (14, 8, 8) and items[0]["transform"].shape == (2, 3)
