"""Synthetic scenes of several people: determinism, shapes, boxes around the people, speed."""

import time

import numpy as np
import pytest

from ml.synthetic import SyntheticScenes, generate_scenes, render_scene


@pytest.fixture(scope="module")
def scenes() -> SyntheticScenes:
    return generate_scenes(12, seed=4, width=320, height=240)


def test_shapes_and_dtypes(scenes):
    assert scenes.images.shape == (12, 240, 320, 3) and scenes.images.dtype == np.uint8
    for boxes, keypoints, visibility in zip(scenes.boxes, scenes.keypoints, scenes.visibility, strict=True):
        m = len(boxes)
        assert 1 <= m <= 4
        assert boxes.shape == (m, 4) and boxes.dtype == np.float32
        assert keypoints.shape == (m, 14, 2) and keypoints.dtype == np.float32
        assert visibility.shape == (m, 14) and visibility.dtype == np.int64
    image_index, boxes, keypoints, visibility = scenes.instances()
    assert len(image_index) == len(boxes) == len(keypoints) == len(visibility) == sum(map(len, scenes.boxes))
    assert (np.diff(image_index) >= 0).all()


def test_same_seed_same_scenes():
    a, b = generate_scenes(2, seed=7, width=160, height=120), generate_scenes(3, seed=7, width=160, height=120)
    np.testing.assert_array_equal(a.images, b.images[:2])
    for name in ("boxes", "keypoints", "visibility"):
        for x, y in zip(getattr(a, name), getattr(b, name)[:2], strict=True):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.images, generate_scenes(2, seed=8, width=160, height=120).images)
    image, boxes, _, _ = render_scene(np.random.default_rng([7, 1, 1]), width=160, height=120)
    np.testing.assert_array_equal(image, b.images[1])
    np.testing.assert_array_equal(boxes, b.boxes[1])


def test_boxes_are_inside_the_image_and_hold_every_visible_joint(scenes):
    _, boxes, keypoints, visibility = scenes.instances()
    x, y, w, h = boxes.T
    assert (x >= 0).all() and (y >= 0).all() and (x + w <= 320).all() and (y + h <= 240).all()
    assert (w > 0).all() and (h > 0).all()
    # Keypoints are pixel centres, boxes pixel edges: centre c covers [c, c + 1] in edge coordinates.
    edges = keypoints + 0.5
    inside = (edges >= boxes[:, None, :2]) & (edges <= boxes[:, None, :2] + boxes[:, None, 2:])
    assert inside.all(axis=-1)[visibility > 0].all()
    outside_image = ~np.all((keypoints >= -0.5) & (keypoints < [319.5, 239.5]), axis=-1)
    np.testing.assert_array_equal(visibility == 0, outside_image)


def test_scenes_hold_several_people_some_overlapping_some_cut(scenes):
    counts = [len(b) for b in scenes.boxes]
    assert max(counts) > 1 and min(counts) < max(counts)
    _, _, _, visibility = scenes.instances()
    assert set(np.unique(visibility)) == {0, 1, 2}  # cut by the border, hidden, visible
    heights = np.concatenate(scenes.boxes)[:, 3]
    assert heights.max() > 3 * heights.min()  # different scales


def test_a_640x480_scene_renders_fast():
    render_scene(np.random.default_rng(0))
    start = time.perf_counter()
    for i in range(5):
        render_scene(np.random.default_rng(i))
    # About 20 ms on one idle core; the bound only catches a gross slowdown on a shared machine.
    assert (time.perf_counter() - start) / 5 < 0.15
