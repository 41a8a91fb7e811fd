"""PCK, PCKh, the torso normaliser and its fallback, and rank correlations on hand-computed cases."""

import math

import numpy as np
import pytest

from ml.metrics import kendall, pck, pck_normaliser, pckh, per_image_pck, spearman, torso_size
from ml.skeletons import COCO17, LSP14, Skeleton

HAND = Skeleton(keypoints=("wrist", "thumb", "index", "little"), edges=((0, 1), (0, 2), (0, 3)), flip_pairs=())


def test_per_image_pck_counts_labelled_joints_only():
    gt = np.zeros((2, 3, 2))
    pred = np.array([[[1, 0], [3, 0], [0, 0]], [[9, 9], [0, 0], [0, 0]]], dtype=float)
    visibility = np.array([[2, 1, 0], [0, 0, 0]])
    scores = per_image_pck(pred, gt, visibility, np.array([10.0, 10.0]), alpha=0.2)
    # image 0: joint 0 at distance 1 <= 2, joint 1 at 3 > 2, joint 2 unlabelled
    assert scores[0] == pytest.approx(0.5)
    assert math.isnan(scores[1])


def test_pck_pools_joints_and_ignores_unlabelled_images():
    gt = np.zeros((3, 2, 2))
    pred = np.zeros((3, 2, 2))
    pred[0, 0] = [5, 0]  # wrong at threshold 2
    visibility = np.array([[2, 2], [2, 0], [0, 0]])
    # 3 labelled joints, 2 correct
    assert pck(pred, gt, visibility, np.full(3, 10.0), alpha=0.2) == pytest.approx(2 / 3)


def test_pck_is_nan_without_labelled_joints():
    zeros = np.zeros((1, 2, 2))
    assert math.isnan(pck(zeros, zeros, np.zeros((1, 2), int), np.ones(1), 0.5))


def test_threshold_is_inclusive():
    gt = np.zeros((1, 1, 2))
    pred = np.array([[[3.0, 4.0]]])  # distance exactly 5
    visible = np.array([[2]])
    assert pckh(pred, gt, visible, np.array([10.0]), alpha=0.5) == 1.0
    assert pckh(pred, gt, visible, np.array([9.99]), alpha=0.5) == 0.0


def test_nan_normaliser_drops_the_image():
    gt = np.zeros((2, 1, 2))
    visible = np.full((2, 1), 2)
    scores = per_image_pck(gt, gt, visible, np.array([np.nan, 1.0]), 0.2)
    assert math.isnan(scores[0]) and scores[1] == 1.0
    assert pck(gt, gt, visible, np.array([np.nan, 1.0]), 0.2) == 1.0


def test_torso_size_is_the_larger_diagonal_or_the_one_labelled():
    idx = {name: i for i, name in enumerate(LSP14.keypoints)}
    gt = np.zeros((5, 14, 2))
    visibility = np.full((5, 14), 2)
    gt[:, idx["l-shoulder"]] = [3, 0]
    gt[:, idx["r-hip"]] = [0, 4]  # left shoulder to right hip: 5
    gt[:, idx["r-shoulder"]] = [0, 0]
    gt[:, idx["l-hip"]] = [6, 8]  # right shoulder to left hip: 10
    gt[1, idx["l-hip"]] = [0, 2]  # right shoulder to left hip: 2, the smaller one
    visibility[2, idx["l-hip"]] = 0  # only left shoulder to right hip
    visibility[3, idx["r-hip"]] = 0  # only right shoulder to left hip
    visibility[4, [idx["l-shoulder"], idx["l-hip"]]] = 0  # neither
    np.testing.assert_allclose(torso_size(gt, visibility, LSP14), [10.0, 5.0, 5.0, 10.0, np.nan])


def test_torso_size_reads_coco_names():
    idx = {name: i for i, name in enumerate(COCO17.keypoints)}
    gt = np.zeros((1, 17, 2))
    gt[0, idx["left_shoulder"]] = [0, 0]
    gt[0, idx["right_hip"]] = [6, 8]
    assert torso_size(gt, np.full((1, 17), 2), COCO17)[0] == pytest.approx(10.0)


def test_pck_normaliser_is_the_torso_where_the_skeleton_has_one():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 100, (4, 14, 2))
    visibility = rng.integers(0, 3, (4, 14))
    np.testing.assert_array_equal(pck_normaliser(gt, visibility, LSP14), torso_size(gt, visibility, LSP14))


def test_pck_normaliser_keeps_nan_for_an_unlabelled_torso():
    visibility = np.full((1, 14), 2)
    visibility[0, [LSP14.keypoints.index(j) for j in ("l-shoulder", "l-hip")]] = 0
    assert math.isnan(pck_normaliser(np.arange(28.0).reshape(1, 14, 2), visibility, LSP14)[0])


def test_pck_normaliser_falls_back_to_the_labelled_points_extent():
    gt = np.array(
        [
            [[0, 0], [3, 1], [1, 7], [50, 50]],  # last joint unlabelled: box 3 x 7
            [[10, 10], [14, 11], [0, 0], [0, 0]],  # box 4 x 1
            [[5, 5], [0, 0], [0, 0], [0, 0]],  # one labelled point: no extent
            [[0, 0], [0, 0], [0, 0], [0, 0]],  # none labelled
        ],
        dtype=float,
    )
    visibility = np.array([[2, 1, 2, 0], [2, 2, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(pck_normaliser(gt, visibility, HAND), [7.0, 4.0, np.nan, np.nan])


def test_pck_normaliser_needs_both_shoulders_and_both_hips():
    # torso_size reads both diagonals; a skeleton with only one of them takes the extent.
    half = Skeleton(keypoints=("l-shoulder", "r-hip", "head"), edges=(), flip_pairs=())
    gt = np.array([[[0.0, 0.0], [3.0, 4.0], [0.0, 10.0]]])
    assert pck_normaliser(gt, np.full((1, 3), 2), half)[0] == pytest.approx(10.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        pck(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)), np.zeros((2, 4)), np.ones(2), 0.2)


def test_spearman_and_kendall_by_hand():
    a = [1, 2, 3, 4]
    b = [10, 30, 20, 40]
    # rank differences d = (0, -1, 1, 0): rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert spearman(a, b) == pytest.approx(0.8)
    # 5 concordant, 1 discordant pair out of 6
    assert kendall(a, b) == pytest.approx(4 / 6)
    assert spearman(a, a[::-1]) == pytest.approx(-1.0)


def test_kendall_is_tau_b_with_ties():
    a = [1, 1, 2]
    b = [1, 2, 3]
    # concordant 2, discordant 0, ties only in a: 1 -> 2 / sqrt(2 * 3)
    assert kendall(a, b) == pytest.approx(2 / math.sqrt(6))


@pytest.mark.parametrize("a, b", [([], []), ([1.0], [2.0]), ([1, 1, 1], [1, 2, 3]), ([1, 2], [np.nan, 1])])
def test_correlations_are_nan_when_undefined(a, b):
    assert math.isnan(spearman(a, b))
    assert math.isnan(kendall(a, b))
