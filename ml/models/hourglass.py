"""Stacked Hourglass (Newell, Yang & Deng, ECCV 2016) with pre-activation bottleneck residuals."""

import torch
import torch.nn.functional as F
from torch import nn


class Residual(nn.Module):
    """Pre-activation bottleneck: BN-ReLU-1x1 (c/2), BN-ReLU-3x3, BN-ReLU-1x1 (c), plus a skip."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        mid = max(cout // 2, 1)
        self.body = nn.Sequential(
            nn.BatchNorm2d(cin),
            nn.ReLU(inplace=True),
            nn.Conv2d(cin, mid, 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, cout, 1),
        )
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B,cin,H,W] -> [B,cout,H,W]."""
        return self.body(x) + self.skip(x)


class Hourglass(nn.Module):
    """One hourglass of the given depth: pool down depth times, then upsample and add the skips."""

    def __init__(self, depth: int, channels: int):
        super().__init__()
        self.skip = Residual(channels, channels)
        self.down = Residual(channels, channels)
        self.inner = Hourglass(depth - 1, channels) if depth > 1 else Residual(channels, channels)
        self.up = Residual(channels, channels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """[B,C,H,W] -> ([B,C,H,W], the decoder's outputs from the finest scale H to the coarsest H/2^depth)."""
        low = self.down(F.max_pool2d(x, 2))
        if isinstance(self.inner, Hourglass):
            low, scales = self.inner(low)
        else:
            low = self.inner(low)
            scales = [low]
        out = self.skip(x) + F.interpolate(self.up(low), scale_factor=2, mode="nearest")
        return out, [out, *scales]


class StackedHourglass(nn.Module):
    """Stem to stride 4, then nstack hourglasses with intermediate supervision."""

    def __init__(self, *, nstack: int, channels: int, depth: int, num_keypoints: int, dropout: float = 0.0):
        super().__init__()
        c = channels
        self.stem = nn.Sequential(
            nn.Conv2d(3, c // 4, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(c // 4),
            nn.ReLU(inplace=True),
            Residual(c // 4, c // 2),
            nn.MaxPool2d(2),
            Residual(c // 2, c // 2),
            Residual(c // 2, c),
        )
        self.hourglasses = nn.ModuleList(Hourglass(depth, c) for _ in range(nstack))
        self.features = nn.ModuleList(
            nn.Sequential(Residual(c, c), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True))
            for _ in range(nstack)
        )
        # Dropout before the heatmap layer is what MC-dropout scoring samples; p=0 makes it a no-op.
        self.dropout = nn.Dropout2d(dropout)
        self.heatmap = nn.ModuleList(nn.Conv2d(c, num_keypoints, 1) for _ in range(nstack))
        self.merge_features = nn.ModuleList(nn.Conv2d(c, c, 1) for _ in range(nstack - 1))
        self.merge_heatmap = nn.ModuleList(nn.Conv2d(num_keypoints, c, 1) for _ in range(nstack - 1))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """images [B,3,S,S] -> (heatmaps [B,nstack,K,S/4,S/4], last stack's features [B,C,S/4,S/4],
        last hourglass's multi-scale outputs, finest first: [B,C,S/4,S/4] ... [B,C,S/4/2^depth,...])."""
        x = self.stem(images)
        heatmaps = []
        for i, hourglass in enumerate(self.hourglasses):
            out, scales = hourglass(x)
            features = self.features[i](out)
            heatmap = self.heatmap[i](self.dropout(features))
            heatmaps.append(heatmap)
            if i < len(self.hourglasses) - 1:
                x = x + self.merge_features[i](features) + self.merge_heatmap[i](heatmap)
        return torch.stack(heatmaps, dim=1), features, scales
