"""The synthetic pose set: determinism, shapes, the visibility convention and speed."""

import time

import numpy as np
import pytest

from ml.synthetic import SyntheticSet, generate, render_one


@pytest.fixture(scope="module")
def pool() -> SyntheticSet:
    return generate(300, seed=11, size=96)


def test_shapes_and_dtypes():
    data = generate(4, seed=0, size=64)
    assert data.images.shape == (4, 64, 64, 3) and data.images.dtype == np.uint8
    assert data.keypoints.shape == (4, 14, 2) and data.keypoints.dtype == np.float32
    assert data.visibility.shape == (4, 14) and data.visibility.dtype == np.int64


def test_same_seed_same_images_and_a_shared_prefix():
    small = generate(3, seed=5, size=64)
    large = generate(6, seed=5, size=64)
    np.testing.assert_array_equal(small.images, large.images[:3])
    np.testing.assert_array_equal(small.keypoints, large.keypoints[:3])
    np.testing.assert_array_equal(small.visibility, large.visibility[:3])
    assert not np.array_equal(small.images, generate(3, seed=6, size=64).images)


def test_render_one_streams_the_same_images():
    image, keypoints, visibility = render_one(np.random.default_rng([5, 2]), 64)
    data = generate(3, seed=5, size=64)
    np.testing.assert_array_equal(image, data.images[2])
    np.testing.assert_array_equal(keypoints, data.keypoints[2])
    np.testing.assert_array_equal(visibility, data.visibility[2])


def test_every_visibility_value_occurs(pool):
    counts = np.bincount(pool.visibility.ravel(), minlength=3)
    assert set(np.unique(pool.visibility)) == {0, 1, 2}
    # mostly visible, with a real share of occluded and truncated joints
    assert counts[2] > counts[1] > 0 and counts[0] > 0


def test_zero_means_outside_the_image_and_coordinates_are_kept(pool):
    size = pool.images.shape[1]
    inside = np.all((pool.keypoints >= -0.5) & (pool.keypoints < size - 0.5), axis=-1)
    np.testing.assert_array_equal(pool.visibility == 0, ~inside)
    # truncated joints keep their true coordinates beyond the border, not (0, 0)
    truncated = pool.keypoints[pool.visibility == 0]
    assert len(truncated) and np.any((truncated < -0.5) | (truncated >= size - 0.5), axis=-1).all()


def test_difficulty_varies(pool):
    # Blur and noise change the high-frequency content a lot from image to image.
    roughness = np.abs(np.diff(pool.images.astype(np.int16), axis=2)).mean(axis=(1, 2, 3))
    assert roughness.max() > 3 * roughness.min()
    assert len({int(v) for v in (pool.visibility > 0).sum(axis=1)}) > 3


def test_throughput_at_256_pixels():
    generate(2, seed=0, size=256)
    n = 60
    start = time.perf_counter()
    generate(n, seed=1, size=256)
    rate = n / (time.perf_counter() - start)
    # About 400 images/s on one idle core; the floor only catches a gross slowdown, since
    # a shared machine can be several times slower for a moment.
    assert rate >= 40, f"{rate:.0f} images/s"
