"""Leeds Sports Pose (LSP, 2,000 images) and its extension LSPET (10,000 images)."""

from pathlib import Path

import numpy as np
from scipy.io import loadmat

from ml.datasets.records import PoseRecords
from ml.skeletons import LSP14

# LSP's standard protocol: the first 1,000 images train, the last 1,000 test.
_LSP_TRAIN_IMAGES = 1000


def load_lsp(root: Path) -> PoseRecords:
    """Read root/joints.mat and name the images root/images/im0001.jpg (LSP) or im00001.jpg (LSPET).

    The two releases store joints.mat differently, told apart by shape:
    - LSP: [3, 14, N], rows x, y, flag with flag 1 = joint invisible (occluded);
    - LSPET: [14, 3, N], columns x, y, flag with flag 1 = joint visible.
    Both map to COCO visibility: visible 2, occluded 1; a joint whose coordinates are not
    finite is 0. Joints of both are annotated even when occluded. MATLAB's 1-based
    coordinates become 0-based. LSP records carry the standard train/test split.
    """
    root = Path(root)
    joints = np.asarray(loadmat(root / "joints.mat")["joints"], dtype=np.float64)
    if joints.ndim == 3 and joints.shape[:2] == (3, 14):
        xyf = joints.transpose(2, 1, 0)
        visible = xyf[..., 2] == 0
        names = [f"im{i:04d}.jpg" for i in range(1, len(xyf) + 1)]
        split = ["train" if i < _LSP_TRAIN_IMAGES else "test" for i in range(len(xyf))]
    elif joints.ndim == 3 and joints.shape[:2] == (14, 3):
        xyf = joints.transpose(2, 0, 1)
        visible = xyf[..., 2] == 1
        names = [f"im{i:05d}.jpg" for i in range(1, len(xyf) + 1)]
        split = ["train"] * len(xyf)
    else:
        raise ValueError(f"joints.mat holds shape {joints.shape}; expected LSP [3, 14, N] or LSPET [14, 3, N]")
    keypoints = (xyf[..., :2] - 1.0).astype(np.float32)
    labelled = np.isfinite(keypoints).all(axis=-1)
    visibility = np.where(labelled, np.where(visible, 2, 1), 0).astype(np.int64)
    return PoseRecords(
        image_paths=[root / "images" / name for name in names],
        keypoints=np.where(labelled[..., None], keypoints, 0.0).astype(np.float32),
        visibility=visibility,
        skeleton=LSP14,
        split=split,
    )
