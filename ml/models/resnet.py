"""Simple Baselines (Xiao, Wu & Wei, ECCV 2018): a ResNet, three deconvolutions, 1x1 conv to heatmaps."""

import torch
from torch import nn

# Output channels of layer1..layer4, finest first.
STAGE_CHANNELS: dict[str, tuple[int, int, int, int]] = {
    "resnet18": (64, 128, 256, 512),
    "resnet50": (256, 512, 1024, 2048),
}
# The last stage runs at 1/32 of the input.
STRIDE = 32
# The authors initialise the deconvolutions and the heatmap layer with this standard deviation.
_INIT_STD = 0.001


# Blocks per stage, and whether a stage is built of bottlenecks (1x1, 3x3, 1x1 with 4x expansion).
_LAYOUT: dict[str, tuple[tuple[int, int, int, int], bool]] = {
    "resnet18": ((2, 2, 2, 2), False),
    "resnet50": ((3, 4, 6, 3), True),
}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (He et al., 2016), under torchvision's names."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, cout, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    """1x1 down to cout/4, 3x3 (carrying the stride, as torchvision's ResNet v1.5), 1x1 up, and a shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        width = cout // 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, cout, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def _shortcut(cin: int, cout: int, stride: int) -> nn.Sequential | None:
    """A 1x1 projection where the block changes shape (downsample.0 and .1 in torchvision's names)."""
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))


class ResNetTrunk(nn.Module):
    """A ResNet without avgpool and fc, under torchvision's names (conv1, bn1, layer1..layer4, and inside
    them conv*, bn*, downsample.*), so an ImageNet state dict saved by torchvision loads into it by name."""

    def __init__(self, arch: str):
        super().__init__()
        if arch not in STAGE_CHANNELS:
            raise ValueError(f"unknown ResNet {arch!r}: expected one of {sorted(STAGE_CHANNELS)}")
        blocks, bottleneck = _LAYOUT[arch]
        block = Bottleneck if bottleneck else BasicBlock
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for index, (count, cout) in enumerate(zip(blocks, STAGE_CHANNELS[arch], strict=True)):
            stride = 1 if index == 0 else 2
            layers = [block(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(count)]
            setattr(self, f"layer{index + 1}", nn.Sequential(*layers))
            cin = cout
        # torchvision's initialisation, so a network trained from scratch starts as it would there.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """images [B,3,S,S] -> the four stages' outputs, finest first: [B,C1,S/4,S/4] ... [B,C4,S/32,S/32]."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(images))))
        stages = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            stages.append(x)
        return stages


class SimpleBaseline(nn.Module):
    """ResNet trunk, three ConvTranspose2d(4x4, stride 2)-BN-ReLU layers back to 1/4 of the input, 1x1 conv."""

    def __init__(self, *, arch: str, num_keypoints: int, deconv_channels: int = 256, dropout: float = 0.0):
        super().__init__()
        self.trunk = ResNetTrunk(arch)
        layers: list[nn.Module] = []
        cin = STAGE_CHANNELS[arch][-1]
        for _ in range(3):
            layers += [
                nn.ConvTranspose2d(cin, deconv_channels, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(deconv_channels),
                nn.ReLU(inplace=True),
            ]
            cin = deconv_channels
        self.deconv = nn.Sequential(*layers)
        # Dropout before the heatmap layer is what MC-dropout scoring samples; p=0 makes it a no-op.
        self.dropout = nn.Dropout2d(dropout)
        self.heatmap = nn.Conv2d(deconv_channels, num_keypoints, 1)
        for module in [*self.deconv.modules(), self.heatmap]:
            if isinstance(module, nn.ConvTranspose2d | nn.Conv2d):
                nn.init.normal_(module.weight, std=_INIT_STD)
            if isinstance(module, nn.Conv2d):
                nn.init.zeros_(module.bias)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """images [B,3,S,S] -> (heatmaps [B,1,K,S/4,S/4], the last stage [B,C4,S/32,S/32],
        the stages finest first: [B,C1,S/4,S/4] ... [B,C4,S/32,S/32])."""
        stages = self.trunk(images)
        heatmaps = self.heatmap(self.dropout(self.deconv(stages[-1])))
        # One "stack", so PoseOutput's heatmaps read the same as a one-stack hourglass's.
        return heatmaps.unsqueeze(1), stages[-1], stages
