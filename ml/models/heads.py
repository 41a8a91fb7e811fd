"""Loss-prediction heads. Both read detached features cast to float32: no gradient reaches the pose
network, and the predicted losses keep float32's resolution even when the network runs in bf16."""

import itertools
from collections.abc import Sequence

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
    """LearningLoss++ 'conv': top-down over the network's scales, x = f_next + ReLU(conv_s2(x)).

    scale_channels: each scale's channels, finest first. The hourglass's scales share one width and are
    summed as they are; a ResNet's stages (64..512 or 256..2048 channels) are first projected by 1x1
    convs to PROJECTED_WIDTH. A final conv whose kernel covers the coarsest map (coarsest_size pixels)
    turns it into a 256-vector for the MLP.
    """

    # Narrow: at 256 channels the first strided conv on a 64x64 stage alone would cost 1.2 GFLOP, 15% of
    # resnet18-simple's forward at 256 px; at 64 the whole head costs about 2% of either ResNet preset's.
    PROJECTED_WIDTH = 64

    def __init__(self, scale_channels: Sequence[int], coarsest_size: int):
        super().__init__()
        uniform = len(set(scale_channels)) == 1
        width = scale_channels[0] if uniform else self.PROJECTED_WIDTH
        # Empty for the hourglass, so its state dict keeps the keys it always had.
        self.project = nn.ModuleList([] if uniform else (nn.Conv2d(c, width, 1) for c in scale_channels))
        self.down = nn.ModuleList(nn.Conv2d(width, width, 3, stride=2, padding=1) for _ in scale_channels[1:])
        self.to_vector = nn.Conv2d(width, MLP_WIDTHS[0], coarsest_size)
        self.relu = nn.ReLU(inplace=True)
        self.mlp = loss_mlp(MLP_WIDTHS[0])

    def forward(self, pooled: torch.Tensor, scales: list[torch.Tensor]) -> torch.Tensor:
        """scales finest first [B,C1,h,w] ... [B,Cn,h/2^(n-1),w/2^(n-1)] -> predicted loss [B]; pooled unused."""
        scales = [s.detach().float() for s in scales]
        if self.project:
            scales = [project(s) for project, s in zip(self.project, scales, strict=True)]
        x = scales[0]
        for conv, coarser in zip(self.down, scales[1:], strict=True):
            x = coarser + torch.relu(conv(x))
        return self.mlp(self.relu(self.to_vector(x)).flatten(1)).squeeze(-1)
