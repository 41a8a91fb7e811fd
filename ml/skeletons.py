"""Keypoint skeletons of the supported data sets: names, edges and left/right flip pairs."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Skeleton:
    keypoints: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    flip_pairs: tuple[tuple[int, int], ...]

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)

    def flip_permutation(self) -> list[int]:
        """Index map that swaps every left joint with its right twin."""
        perm = list(range(self.num_keypoints))
        for i, j in self.flip_pairs:
            perm[i], perm[j] = j, i
        return perm


LSP14 = Skeleton(
    keypoints=(
        "r-ankle",
        "r-knee",
        "r-hip",
        "l-hip",
        "l-knee",
        "l-ankle",
        "r-wrist",
        "r-elbow",
        "r-shoulder",
        "l-shoulder",
        "l-elbow",
        "l-wrist",
        "neck",
        "head-top",
    ),
    edges=(
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 5),
        (2, 8),
        (3, 9),
        (6, 7),
        (7, 8),
        (8, 12),
        (9, 12),
        (9, 10),
        (10, 11),
        (12, 13),
    ),
    flip_pairs=((0, 5), (1, 4), (2, 3), (6, 11), (7, 10), (8, 9)),
)

MPII16 = Skeleton(
    keypoints=(
        "r-ankle",
        "r-knee",
        "r-hip",
        "l-hip",
        "l-knee",
        "l-ankle",
        "pelvis",
        "thorax",
        "upper-neck",
        "head-top",
        "r-wrist",
        "r-elbow",
        "r-shoulder",
        "l-shoulder",
        "l-elbow",
        "l-wrist",
    ),
    edges=(
        (0, 1),
        (1, 2),
        (2, 6),
        (6, 3),
        (3, 4),
        (4, 5),
        (6, 7),
        (7, 8),
        (8, 9),
        (10, 11),
        (11, 12),
        (12, 7),
        (7, 13),
        (13, 14),
        (14, 15),
    ),
    flip_pairs=((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13)),
)

COCO17 = Skeleton(
    keypoints=(
        "nose",
        "left_eye",
        "right_eye",
        "left_ear",
        "right_ear",
        "left_shoulder",
        "right_shoulder",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
    ),
    edges=(
        (15, 13),
        (13, 11),
        (16, 14),
        (14, 12),
        (11, 12),
        (5, 11),
        (6, 12),
        (5, 6),
        (5, 7),
        (6, 8),
        (7, 9),
        (8, 10),
        (1, 2),
        (0, 1),
        (0, 2),
        (1, 3),
        (2, 4),
        (3, 5),
        (4, 6),
    ),
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
)

PRESETS: dict[str, Skeleton] = {"lsp14": LSP14, "mpii16": MPII16, "coco17": COCO17}
