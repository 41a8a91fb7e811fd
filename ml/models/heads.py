"""Loss-prediction heads. Both read detached features cast to float32: no gradient reaches the pose
network, and the predicted losses keep float32's resolution even when the network runs in bf16."""

import itertools

import torch
from torch import nn

MLP_WIDTHS = (256, 128, 64, 32, 16, 8, 1)


def loss_mlp(in_features: int) -> nn.Sequential:
    """The authors' MLP 256-128-64-32-16-8-1, behind a linear projection when in_features != 256."""
    layers: list[nn.Module] = [] if in_features == MLP_WIDTHS[0] else [nn.Linear(in_features, MLP_WIDTHS[0])]
    for i, (a, b) in enumerate(itertools.pairwise(MLP_WIDTHS)):
        layers.append(nn.Linear(a, b))
        if i < len(MLP_WIDTHS) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class GapHead(nn.Module):
    """LearningLoss++ 'gap': global average pool of the last stack's features, then the MLP."""

    def __init__(self, channels: int):
        super().__init__()
        self.mlp = loss_mlp(channels)

    def forward(self, pooled: torch.Tensor, scales: list[torch.Tensor]) -> torch.Tensor:
        """pooled [B,C] -> predicted loss [B]; scales unused."""
        return self.mlp(pooled.detach().float()).squeeze(-1)


class ConvHead(nn.Module):
    """LearningLoss++ 'conv': top-down over the last hourglass's scales, x = f_next + ReLU(conv_s2(x)).

    A final conv whose kernel covers the coarsest map turns it into a 256-vector for the MLP.
    """

    def __init__(self, channels: int, num_scales: int, coarsest_size: int):
        super().__init__()
        self.down = nn.ModuleList(nn.Conv2d(channels, channels, 3, stride=2, padding=1) for _ in range(num_scales - 1))
        self.to_vector = nn.Conv2d(channels, MLP_WIDTHS[0], coarsest_size)
        self.relu = nn.ReLU(inplace=True)
        self.mlp = loss_mlp(MLP_WIDTHS[0])

    def forward(self, pooled: torch.Tensor, scales: list[torch.Tensor]) -> torch.Tensor:
        """scales finest first [B,C,h,w] ... [B,C,h/2^(n-1),w/2^(n-1)] -> predicted loss [B]; pooled unused."""
        x = scales[0].detach().float()
        for conv, finer in zip(self.down, scales[1:], strict=True):
            x = finer.detach().float() + torch.relu(conv(x))
        return self.mlp(self.relu(self.to_vector(x)).flatten(1)).squeeze(-1)
