"""JPEG decoded at 1/2, 1/4 or 1/8 of its resolution when every crop of the image needs less, and the
coordinates through it: the crop's map still starts from the full-resolution image."""

import io
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

import ml.data
import ml.score
from ml.affine import apply_points
from ml.augment import AugmentConfig
from ml.data import KeypointDataset
from ml.decode import decode_heatmaps, to_original
from ml.models import PoseOutput
from ml.preprocess import load_image, load_image_for_scale
from ml.score import score_pool
from ml.skeletons import LSP14
from ml.synthetic import generate_scenes
from ml.targets import make_heatmaps
from ml.topdown import crop_instance, crop_scale, whole_image_box

# Not multiples of 8: the last block of each side is partial at every reduction.
WIDTH, HEIGHT, INPUT = 643, 481, 64

# box -> the reduction its crop allows (the largest r with r * crop_scale <= 1) and a point inside it.
BOXES = {
    "1/8": ([80.0, 10.0, 470.0, 460.0], 8, (300.4, 250.8)),  # crop scale 64 / (1.25 * 470) = 0.109
    "1/4": ([300.0, 150.0, 200.0, 250.0], 4, (402.0, 260.3)),  # 0.205
    "1/2": ([100.0, 300.0, 150.0, 100.0], 2, (170.7, 351.2)),  # 0.341
    "in the partial corner blocks": ([540.0, 380.0, 103.0, 101.0], 2, (620.2, 455.6)),  # 0.497
    "partly outside": ([560.0, 400.0, 160.0, 140.0], 2, (611.5, 450.5)),  # 0.32
    "whole image": (whole_image_box(WIDTH, HEIGHT), 8, (330.2, 220.9)),  # the letterbox's 64 / 643
    "too small to reduce": ([200.0, 200.0, 30.0, 40.0], 1, (215.3, 221.0)),  # 1.28
}

# What exif_transpose undoes for each EXIF orientation: the stored image is the upright one turned so.
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _jpeg(upright: np.ndarray, orientation: int = 1) -> io.BytesIO:
    """upright [H,W,3] uint8 as a JPEG stored turned and tagged so that it shows upright."""
    stored = Image.fromarray(upright)
    if STORED_AS[orientation] is not None:
        stored = stored.transpose(STORED_AS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out


def _blob(point, sigma: float) -> np.ndarray:
    """A grey Gaussian blob [H,W,3] uint8 centred on point (x, y), pixel centres at integers."""
    ys, xs = np.mgrid[:HEIGHT, :WIDTH]
    blob = 220.0 * np.exp(-((xs - point[0]) ** 2 + (ys - point[1]) ** 2) / (2.0 * sigma**2))
    return np.repeat(blob.round().astype(np.uint8)[:, :, None], 3, axis=2)


def _smooth() -> np.ndarray:
    """Slowly varying colours [H,W,3] uint8: what a reduced decode keeps."""
    ys, xs = np.mgrid[:HEIGHT, :WIDTH].astype(np.float64)
    channels = [
        128 + 60 * np.sin(xs / 40.0) * np.cos(ys / 55.0),
        128 + 70 * np.cos((xs + ys) / 70.0),
        100 + 50 * np.sin(ys / 30.0 + 1.0),
    ]
    return np.stack(channels, axis=2).round().astype(np.uint8)


def _decode(source, box):
    """The decode score_pool makes for an image holding just this box."""
    return load_image_for_scale(source, lambda size: crop_scale(box, image_size=size, input_size=INPUT))


def _centroid(channel: np.ndarray) -> np.ndarray:
    """Brightness-weighted centre (x, y) of a [S,S] array."""
    ys, xs = np.mgrid[: channel.shape[0], : channel.shape[1]]
    weight = channel.astype(np.float64)
    return np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()


@pytest.mark.parametrize("box,reduction,point", BOXES.values(), ids=BOXES.keys())
def test_a_crop_decodes_at_the_largest_reduction_it_allows(box, reduction, point):
    decoded = _decode(_jpeg(_smooth()), box)
    assert decoded.reduction == reduction and decoded.size == (WIDTH, HEIGHT)
    assert decoded.pixels.shape == (math.ceil(HEIGHT / reduction), math.ceil(WIDTH / reduction), 3)


@pytest.mark.parametrize("box,reduction,point", BOXES.values(), ids=BOXES.keys())
def test_a_blob_lands_where_the_crop_transform_says(box, reduction, point):
    # About 3 crop pixels wide whatever the crop's scale.
    sigma = 3.0 / crop_scale(box, image_size=(WIDTH, HEIGHT), input_size=INPUT)
    crop, transform = crop_instance(_decode(_jpeg(_blob(point, sigma)), box), box, input_size=INPUT)
    np.testing.assert_allclose(_centroid(crop[:, :, 0]), apply_points(transform, point), atol=0.1)


@pytest.mark.parametrize("orientation", STORED_AS)
def test_an_exif_turned_jpeg_crops_like_the_upright_image(orientation):
    # 1/8 in both directions: the partial blocks are 5 and 7 pixels short, at the upright image's start
    # along an axis the orientation reverses.
    box, reduction, point = BOXES["1/8"]
    sigma = 3.0 / crop_scale(box, image_size=(WIDTH, HEIGHT), input_size=INPUT)
    decoded = _decode(_jpeg(_blob(point, sigma), orientation), box)
    assert decoded.reduction == reduction and decoded.size == (WIDTH, HEIGHT)
    crop, transform = crop_instance(decoded, box, input_size=INPUT)
    np.testing.assert_allclose(_centroid(crop[:, :, 0]), apply_points(transform, point), atol=0.1)
    # The whole image, through the letterbox.
    letterboxed, transform = crop_instance(decoded, whole_image_box(WIDTH, HEIGHT), input_size=INPUT)
    np.testing.assert_allclose(_centroid(letterboxed[:, :, 0]), apply_points(transform, point), atol=0.1)


@pytest.mark.parametrize("box,reduction,point", BOXES.values(), ids=BOXES.keys())
def test_a_reduced_crop_looks_like_the_full_resolution_one(box, reduction, point):
    source = _jpeg(_smooth())
    reduced, reduced_transform = crop_instance(_decode(source, box), box, input_size=INPUT)
    full, transform = crop_instance(load_image(source), box, input_size=INPUT)
    np.testing.assert_array_equal(reduced_transform, transform)
    difference = np.abs(reduced.astype(np.float64) - full)
    # Past a partial block the black starts up to r - 1 image pixels later: under one crop column.
    inside = apply_points(transform, [[WIDTH - 1.0, HEIGHT - 1.0]])[0]
    away_from_the_edge = difference[: int(inside[1]) - 1, : int(inside[0]) - 1]
    assert away_from_the_edge.mean() < 1.0 and np.percentile(away_from_the_edge, 99) <= 3


@pytest.mark.parametrize("box,reduction,point", BOXES.values(), ids=BOXES.keys())
def test_keypoints_come_back_to_the_image(box, reduction, point, monkeypatch):
    reductions = _spy_on_decode(ml.data, monkeypatch)
    rng = np.random.default_rng(1)
    x, y, w, h = box
    keypoints = np.stack([x - 0.5 + w * rng.uniform(0.1, 0.9, 14), y - 0.5 + h * rng.uniform(0.1, 0.9, 14)], axis=1)
    dataset = KeypointDataset(
        [_jpeg(_smooth())], keypoints[None], np.full((1, 14), 2), boxes=[box], skeleton=LSP14, input_size=INPUT
    )
    item = dataset[0]
    assert reductions == [reduction]
    decoded, _ = decode_heatmaps(item["heatmaps"][None], scale_to_input=4.0)
    restored = to_original(decoded, item["transform"][None])[0].numpy()
    assert np.abs(restored - keypoints).max() < 0.5


def test_training_decodes_finely_enough_for_the_augmentation_zoom(monkeypatch):
    reductions = _spy_on_decode(ml.data, monkeypatch)
    box = [100.0, 100.0, 112.0, 80.0]  # crop scale 64 / 140 = 0.457: 1/2, but not once zoomed in by 1.25
    keypoints, visibility = np.full((1, 14, 2), 150.0), np.full((1, 14), 2)
    for train in (False, True):
        dataset = KeypointDataset(
            [_jpeg(_smooth())],
            keypoints,
            visibility,
            boxes=[box],
            skeleton=LSP14,
            input_size=INPUT,
            train=train,
            augment_config=AugmentConfig(scale=0.25),
        )
        dataset[0]
    assert reductions == [2, 1]


@pytest.mark.parametrize("kind", ["png", "array"])
def test_png_and_arrays_are_never_reduced(kind):
    image = _smooth()
    if kind == "png":
        source = io.BytesIO()
        Image.fromarray(image).save(source, "PNG")
    else:
        source = image
    decoded = load_image_for_scale(source, lambda size: 0.01)
    assert decoded.reduction == 1 and decoded.size == (WIDTH, HEIGHT)
    np.testing.assert_array_equal(decoded.pixels, image)
    np.testing.assert_array_equal(decoded.to_pixels, np.eye(2, 3))


class _SoftArgmaxModel(torch.nn.Module):
    """Stands in for a trained network, whose keypoints follow what the crop shows: joint c is the soft-argmax
    of colour channel c of the input, output as the Gaussian heatmap decode_heatmaps recovers exactly."""

    config = SimpleNamespace(input_size=INPUT, num_keypoints=3, feature_size=3)

    def forward(self, x: torch.Tensor) -> PoseOutput:
        b, c, s, _ = x.shape
        weights = torch.softmax(x.flatten(2), dim=2).view(b, c, s, s)
        coordinates = torch.arange(s, dtype=x.dtype)
        keypoints = torch.stack([weights.sum(2) @ coordinates, weights.sum(3) @ coordinates], dim=-1)  # [B,C,2]
        heatmaps = [make_heatmaps(k.numpy(), np.full(c, 2), input_size=s, heatmap_size=s // 4)[0] for k in keypoints]
        return PoseOutput(torch.stack(heatmaps)[:, None], x.mean(dim=(1, 2, 3)), x.mean(dim=(2, 3)), [])


def test_score_pool_with_reduction_agrees_with_a_full_decode(monkeypatch):
    scenes = generate_scenes(4, seed=0)
    boxes = [None, *scenes.boxes[1:]]  # the first image whole, through the letterbox
    files = [_jpeg(image) for image in scenes.images]
    full = score_pool(_SoftArgmaxModel(), [load_image(f) for f in files], boxes=boxes, device="cpu")
    reductions = _spy_on_decode(ml.score, monkeypatch)
    reduced = score_pool(_SoftArgmaxModel(), files, boxes=boxes, device="cpu")
    assert sorted(reductions) == [1, 2, 2, 8]
    np.testing.assert_array_equal(reduced.boxes, full.boxes)
    np.testing.assert_allclose(reduced.keypoints, full.keypoints, atol=1.0)


def _spy_on_decode(module, monkeypatch) -> list[int]:
    """Record the reduction of every image `module` decodes with load_image_for_scale."""
    reductions = []

    def recording(*args, **kwargs):
        decoded = load_image_for_scale(*args, **kwargs)
        reductions.append(decoded.reduction)
        return decoded

    monkeypatch.setattr(module, "load_image_for_scale", recording)
    return reductions
