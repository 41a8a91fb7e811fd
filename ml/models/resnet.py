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


class ResNetTrunk(nn.Module):
    """torchvision's ResNet without avgpool and fc, under torchvision's names (conv1, bn1, layer1..layer4),
    so an ImageNet state dict loads into it by name. Built with weights=None: nothing is downloaded."""

    def __init__(self, arch: str):
        super().__init__()
        # Imported here: torchvision takes seconds to import and only these presets need it.
        from torchvision import models

        if arch not in STAGE_CHANNELS:
            raise ValueError(f"unknown ResNet {arch!r}: expected one of {sorted(STAGE_CHANNELS)}")
        resnet = getattr(models, arch)(weights=None)
        self.conv1, self.bn1, self.relu, self.maxpool = resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4

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
