"""Heatmap loss per image, and the two objectives that teach a head to rank images by that loss."""

from collections.abc import Callable

import torch
import torch.nn.functional as F

OBJECTIVES = ("ll_plus_plus", "learning_loss")

# The authors add 0.1 to the joint count so images with no labelled joint give 0, not NaN.
JOINT_COUNT_EPS = 0.1


def per_image_heatmap_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Masked heatmap MSE per image.

    pred [B,S,K,h,w] (S stacks) or [B,K,h,w]; target [B,K,h,w]; weight [B,K] (1 = labelled joint).
    Per joint: mean squared error over the h*w pixels; summed over labelled joints, divided by
    (number of labelled joints + 0.1); averaged over stacks. Returns [B] in float32.
    """
    if pred.dim() == 4:
        pred = pred.unsqueeze(1)
    per_joint = (pred.float() - target.float().unsqueeze(1)).square().mean(dim=(-2, -1))  # [B,S,K]
    w = weight.float().unsqueeze(1)
    per_stack = (per_joint * w).sum(dim=-1) / (w.sum(dim=-1) + JOINT_COUNT_EPS)  # [B,S]
    return per_stack.mean(dim=1)


def _pairs(pred_loss: torch.Tensor, true_loss: torch.Tensor):
    """Split [B] into pairs (i, i + B/2); an odd batch drops its last element."""
    half = pred_loss.shape[0] // 2
    true_loss = true_loss.detach().float()
    pred_loss = pred_loss.float()
    return pred_loss[:half], pred_loss[half : 2 * half], true_loss[:half], true_loss[half : 2 * half]


def learning_loss(pred_loss: torch.Tensor, true_loss: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """Yoo & Kweon margin ranking: mean over pairs of max(0, -sign(l_i - l_j)(l^_i - l^_j) + margin).

    pred_loss, true_loss [B]; the true loss is detached. Fewer than 2 images: 0 (still differentiable).
    """
    pi, pj, ti, tj = _pairs(pred_loss, true_loss)
    if pi.numel() == 0:
        return pred_loss.sum() * 0.0
    return F.relu(-torch.sign(ti - tj) * (pi - pj) + margin).mean()


def ll_plus_plus_loss(pred_loss: torch.Tensor, true_loss: torch.Tensor) -> torch.Tensor:
    """LearningLoss++ (Shukla & Ahmed): mean over pairs of KL(p || q).

    p = (l_i, l_j) / (l_i + l_j) from the detached true losses, q = softmax(l^_i, l^_j).
    pred_loss, true_loss [B]; pairs (i, i + B/2); an odd batch drops its last element.
    Gradient: dL/dl^_i = (q_i - p_i) / P for P pairs.
    """
    pi, pj, ti, tj = _pairs(pred_loss, true_loss)
    if pi.numel() == 0:
        return pred_loss.sum() * 0.0
    true = torch.stack([ti, tj], dim=1).clamp_min(0.0)
    # Two zero losses (no labelled joints) carry no ranking information: treat them as a tie.
    p = (true + 1e-12) / (true.sum(dim=1, keepdim=True) + 2e-12)
    log_q = torch.log_softmax(torch.stack([pi, pj], dim=1), dim=1)
    return (torch.xlogy(p, p) - p * log_q).sum(dim=1).mean()


def head_objective(name: str, *, margin: float = 1.0) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The objective `name` (one of OBJECTIVES) as f(pred_loss [B], true_loss [B]) -> scalar."""
    if name == "ll_plus_plus":
        return ll_plus_plus_loss
    if name == "learning_loss":
        return lambda pred, true: learning_loss(pred, true, margin=margin)
    raise ValueError(f"unknown objective {name!r}; expected one of {OBJECTIVES}")
