"""Named model presets: create_model(name, **cfg) overrides any PoseConfig field."""

import dataclasses

from ml.models.pose import PoseConfig, PoseModel

PRESETS: dict[str, PoseConfig] = {
    # CPU default: a cycle on a few thousand 128 px images trains in minutes on 2 cores.
    "hg-tiny": PoseConfig(nstack=1, channels=64, depth=3, input_size=128),
    # The paper's network: 2 stacks, 256 channels, 256x256 input, 64x64 heatmaps (~16.7 GFLOP/image).
    "hg-paper": PoseConfig(nstack=2, channels=256, depth=4, input_size=256),
    # Simple Baselines (Xiao et al. 2018): a ResNet, three 256-channel deconvolutions, 64x64 heatmaps;
    # load ImageNet weights into the ResNet with ml.models.load_backbone_weights.
    "resnet18-simple": PoseConfig(backbone="resnet18", nstack=1, channels=256, input_size=256),
    "resnet50-simple": PoseConfig(backbone="resnet50", nstack=1, channels=256, input_size=256),
}


def create_model(name: str, **cfg) -> PoseModel:
    """Build a preset; keyword arguments replace PoseConfig fields (e.g. head="conv", num_keypoints=16)."""
    if name not in PRESETS:
        raise KeyError(f"unknown model {name!r}; presets: {sorted(PRESETS)}")
    return PoseModel(dataclasses.replace(PRESETS[name], **cfg))
