import math

import pytest
import torch

from ml.losses import learning_loss, ll_plus_plus_loss, per_image_heatmap_loss


def test_per_image_loss_masks_joints_and_averages_stacks():
    target = torch.zeros(1, 2, 2, 2)
    pred = torch.zeros(1, 2, 2, 2, 2)  # [B, S, K, h, w]
    pred[0, 0, 0] = 2.0  # stack 0, joint 0: MSE 4
    pred[0, 1, 0] = 4.0  # stack 1, joint 0: MSE 16
    pred[0, :, 1] = 100.0  # joint 1 is unlabelled: ignored
    weight = torch.tensor([[1.0, 0.0]])
    loss = per_image_heatmap_loss(pred, target, weight)
    assert loss.shape == (1,)
    assert loss.item() == pytest.approx((4 / 1.1 + 16 / 1.1) / 2)


def test_per_image_loss_accepts_single_stack_and_no_labels():
    pred = torch.ones(2, 3, 4, 4)
    loss = per_image_heatmap_loss(pred, torch.zeros(2, 3, 4, 4), torch.tensor([[1.0, 1.0, 1.0], [0, 0, 0]]))
    assert loss.tolist() == pytest.approx([3 / 3.1, 0.0])


def test_learning_loss_hand_computed():
    pred = torch.tensor([0.5, 2.0, 1.0, 0.0])
    true = torch.tensor([3.0, 1.0, 1.0, 2.0])  # pairs (0,2): l0 > l2; (1,3): l1 < l3
    # pair 0: max(0, -(1)(0.5 - 1.0) + 1) = 1.5; pair 1: max(0, -(-1)(2.0 - 0.0) + 1) = 3.0
    assert learning_loss(pred, true).item() == pytest.approx(2.25)
    assert learning_loss(torch.tensor([5.0, 0.0]), torch.tensor([2.0, 1.0])).item() == 0.0


def test_ll_plus_plus_hand_computed():
    pred = torch.tensor([0.0, 1.0])
    true = torch.tensor([3.0, 1.0])
    p = [0.75, 0.25]
    q = [1 / (1 + math.e), math.e / (1 + math.e)]
    expected = sum(pk * math.log(pk / qk) for pk, qk in zip(p, q))
    assert ll_plus_plus_loss(pred, true).item() == pytest.approx(expected, rel=1e-6)
    # Proportional true losses and a matching softmax: zero divergence.
    matching = ll_plus_plus_loss(torch.tensor([math.log(3.0), 0.0]), torch.tensor([3.0, 1.0]))
    assert matching.item() == pytest.approx(0, abs=1e-7)


def test_ll_plus_plus_gradient_matches_closed_form_and_true_loss_gets_none():
    torch.manual_seed(0)
    pred = torch.randn(6, requires_grad=True)
    true = (torch.rand(6) + 0.1).requires_grad_(True)
    ll_plus_plus_loss(pred, true).backward()
    n_pairs = 3
    pairs_pred = torch.stack([pred[:3], pred[3:]], dim=1).detach()
    pairs_true = torch.stack([true[:3], true[3:]], dim=1).detach()
    q = torch.softmax(pairs_pred, dim=1)
    p = pairs_true / pairs_true.sum(dim=1, keepdim=True)
    expected = ((q - p) / n_pairs).T.reshape(-1)
    torch.testing.assert_close(pred.grad, expected, rtol=1e-5, atol=1e-7)
    assert true.grad is None


def test_learning_loss_true_loss_gets_no_gradient():
    pred = torch.randn(4, requires_grad=True)
    true = torch.rand(4, requires_grad=True)
    learning_loss(pred, true).backward()
    assert true.grad is None and pred.grad is not None


def test_odd_batch_drops_last_and_tiny_batch_is_zero():
    pred, true = torch.tensor([0.0, 1.0, 7.0]), torch.tensor([1.0, 3.0, 9.0])
    assert ll_plus_plus_loss(pred, true).item() == pytest.approx(ll_plus_plus_loss(pred[:2], true[:2]).item())
    single = torch.tensor([1.0], requires_grad=True)
    loss = ll_plus_plus_loss(single, torch.tensor([2.0]))
    loss.backward()
    assert loss.item() == 0.0 and single.grad.item() == 0.0
