"""Top-down crops: the map from image to crop, its pixels, and the round trip through targets and decoding."""

import numpy as np
import pytest
import torch

from ml.affine import apply_points
from ml.augment import AugmentConfig
from ml.data import KeypointDataset
from ml.decode import decode_heatmaps, to_original
from ml.preprocess import letterbox
from ml.skeletons import LSP14
from ml.topdown import DEFAULT_PADDING, crop_instance, crop_instances, crop_transform, whole_image_box

WIDTH, HEIGHT, INPUT = 200, 150, 64

BOXES = {
    "small square": [50.0, 40.0, 20.0, 20.0],
    "tall": [120.5, 10.25, 30.0, 120.0],
    "wide": [10.0, 100.0, 150.0, 30.0],
    "thin": [90.0, 20.0, 0.0, 80.0],
    "larger than the input": [0.0, 0.0, 180.0, 140.0],
    "partly outside": [-30.0, 100.0, 70.0, 90.0],
    "whole image": whole_image_box(WIDTH, HEIGHT),
}


def _image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)


def _points_in(box, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points [n,2] (pixel centres) inside the box (pixel edges), away from its border."""
    x, y, w, h = box
    return np.stack([x - 0.5 + w * rng.uniform(0.1, 0.9, n), y - 0.5 + h * rng.uniform(0.1, 0.9, n)], axis=1)


@pytest.mark.parametrize("box", BOXES.values(), ids=BOXES.keys())
def test_image_to_crop_to_heatmaps_and_back(box):
    rng = np.random.default_rng(1)
    keypoints = _points_in(box, 14, rng)
    dataset = KeypointDataset(
        [_image()], keypoints[None], np.full((1, 14), 2), boxes=[box], skeleton=LSP14, input_size=INPUT
    )
    item = dataset[0]
    decoded, maxvals = decode_heatmaps(item["heatmaps"][None], scale_to_input=4.0)
    restored = to_original(decoded, item["transform"][None])[0].numpy()
    assert np.abs(restored - keypoints).max() < 0.5
    assert maxvals.min().item() > 25.0  # every joint inside the crop's heatmap
    np.testing.assert_array_equal(item["box"].numpy(), box)


@pytest.mark.parametrize("height,width", [(150, 200), (200, 150), (64, 64), (1, 300), (37, 500)])
def test_the_whole_image_box_is_the_letterbox(height, width):
    image = _image()[:height, :width] if height <= HEIGHT and width <= WIDTH else np.zeros((height, width, 3), np.uint8)
    pixels, transform = letterbox(image, INPUT)
    for box in (whole_image_box(width, height), [-5.0, -1.0, width + 10.0, height + 3.0]):
        np.testing.assert_array_equal(crop_transform(box, image_size=(width, height), input_size=INPUT), transform)
        crop, crop_map = crop_instance(image, box, input_size=INPUT)
        np.testing.assert_array_equal(crop, pixels)
        np.testing.assert_array_equal(crop_map, transform)


def test_the_box_is_widened_about_its_centre_to_a_square():
    box = [50.0, 40.0, 40.0, 20.0]
    transform = crop_transform(box, image_size=(WIDTH, HEIGHT), input_size=INPUT)
    side = DEFAULT_PADDING * 40.0
    # Pixel edges of the square map to the crop's edges; its centre to the crop's centre pixel position.
    centre = [50.0 + 20.0 - 0.5, 40.0 + 10.0 - 0.5]
    np.testing.assert_allclose(apply_points(transform, centre), [(INPUT - 1) / 2] * 2, atol=1e-12)
    left_edge = [70.0 - side / 2 - 0.5, 49.5]
    np.testing.assert_allclose(apply_points(transform, left_edge)[0], -0.5, atol=1e-12)
    assert transform[0, 0] == transform[1, 1] == INPUT / side


@pytest.mark.parametrize(
    "box,point",
    [([60.0, 50.0, 25.0, 20.0], (71, 58)), ([30.0, 20.0, 51.2, 10.0], (52, 24))],  # side 1.25 * 51.2 = INPUT
    ids=["magnified", "one to one"],
)
def test_a_bright_pixel_lands_where_the_transform_says(box, point):
    image = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    image[point[1], point[0]] = 255
    crop, transform = crop_instance(image, box, input_size=INPUT)
    weight = crop[:, :, 0].astype(np.float64)
    ys, xs = np.mgrid[:INPUT, :INPUT]
    centroid = np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()
    np.testing.assert_allclose(centroid, apply_points(transform, point), atol=0.25)


def test_outside_the_image_is_black():
    image = np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    box = [-30.0, 100.0, 70.0, 90.0]
    crop, transform = crop_instance(image, box, input_size=INPUT)
    inside, outside = apply_points(transform, [[20.0, 120.0], [-20.0, 120.0]]).round().astype(int)
    assert (crop[inside[1], inside[0]] == 255).all() and (crop[outside[1], outside[0]] == 0).all()


def test_augmentation_composes_with_the_crop():
    torch.manual_seed(0)
    box = [60.0, 30.0, 50.0, 90.0]
    keypoints = _points_in(box, 14, np.random.default_rng(2))
    dataset = KeypointDataset(
        [_image()],
        keypoints[None],
        np.full((1, 14), 2),
        boxes=[box],
        skeleton=LSP14,
        input_size=INPUT,
        train=True,
        augment_config=AugmentConfig(flip=0.0),
    )
    for _ in range(3):
        item = dataset[0]
        np.testing.assert_allclose(
            item["keypoints"].numpy(), apply_points(item["transform"].numpy(), keypoints), atol=1e-4
        )


@pytest.mark.parametrize("box", [[0, 0, 0, 0], [1, 2, -3, 4], [np.nan, 0, 5, 5], [0, 0, 5]])
def test_boxes_without_area_or_numbers_are_refused(box):
    with pytest.raises(ValueError, match="box"):
        crop_transform(box, image_size=(WIDTH, HEIGHT), input_size=INPUT)


def test_dataset_boxes_must_line_up_with_items():
    with pytest.raises(ValueError, match=r"boxes must be \[N,4\]"):
        KeypointDataset(
            [_image()], np.zeros((1, 14, 2)), np.full((1, 14), 2), boxes=np.zeros((2, 4)), skeleton=LSP14, input_size=32
        )


def test_an_images_crops_together_are_each_box_cropped_alone():
    image = _image(3)
    boxes = list(BOXES.values())
    together = crop_instances(image, boxes, input_size=INPUT)
    assert len(together) == len(boxes)
    for (pixels, transform), box in zip(together, boxes, strict=True):
        alone_pixels, alone_transform = crop_instance(image, box, input_size=INPUT)
        np.testing.assert_array_equal(pixels, alone_pixels)
        np.testing.assert_array_equal(transform, alone_transform)
