"""A synthetic pose data set: articulated figures with the 14 LSP joints, no download.

Each image is a shaded human-like figure in a random plausible pose (joint angles
within human limits, random yaw, scale, rotation and position) on a cluttered,
textured background, with optional occluders, blur and noise, so difficulty, and a
model's loss, varies widely from image to image. Left and right are told apart by
cues a model can learn but not read off trivially: the figure's right limbs are
drawn lighter than its left ones, and a front-facing head shows eyes where a
back-facing one shows hair. generate_scenes draws one to four such figures of
different sizes into a larger image (640x480 by default), each with a COCO person box,
for top-down training and scoring (ml.topdown).

Coordinates are pixels with pixel centres at integers (the image spans -0.5 to
size - 0.5). Visibility follows COCO: 2 visible, 1 hidden under an occluder or a
nearer person (still labelled), 0 outside the image. Truncated joints keep their
true coordinates (possibly negative or >= size); only v = 0 marks them, so mask by
visibility.
"""

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ml.skeletons import LSP14
from ml.synthetic_drawing import background, degrade, disc, draw_occluders, rgb, shaded_segment

# Body proportions in torso lengths (neck to mid-hip): segment lengths and drawn widths.
_UPPER_ARM, _FOREARM, _THIGH, _SHIN, _HEAD = 0.6, 0.55, 0.85, 0.8, 0.54
_WIDTH = {"upper_arm": 0.17, "forearm": 0.14, "thigh": 0.24, "shin": 0.19, "neck": 0.14}
_SHOULDER_HALF_WIDTH, _HIP_HALF_WIDTH, _HEAD_RADIUS = 0.38, 0.2, 0.24
_SKIN_TONES = np.array([[255, 219, 172], [241, 194, 125], [224, 172, 105], [198, 134, 66], [141, 85, 36], [90, 56, 37]])
_LIMB_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
_J = {name: i for i, name in enumerate(LSP14.keypoints)}
# Head top to ankles of a straight figure, in torso lengths: 0.54 * 1.1 + 1 + 0.85 + 0.8.
_TALLEST = 3.25
# Around the joints to a person's box, in torso lengths: the head disc's radius and the limbs' half widths.
_BOX_MARGIN = 0.25
# The third number of a scene's seed keeps scene i of a seed apart from generate's image i.
_SCENES_STREAM = 1


@dataclass
class SyntheticSet:
    """images [N, size, size, 3] uint8 RGB; keypoints [N, 14, 2] float32 (x, y) in LSP
    order; visibility [N, 14] int64 in {0, 1, 2}."""

    images: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray


@dataclass
class SyntheticScenes:
    """images [N, H, W, 3] uint8 RGB; for image n: boxes[n] [M_n, 4] float32 COCO boxes [x, y, w, h] on
    pixel edges (see ml.topdown) around each person with a margin, clipped to the image; keypoints[n]
    [M_n, 14, 2] float32 (x, y) in LSP order, pixel centres at integers; visibility[n] [M_n, 14] int64 in
    {0, 1, 2}, 1 where an occluder or a nearer person covers the joint."""

    images: np.ndarray
    boxes: list[np.ndarray]
    keypoints: list[np.ndarray]
    visibility: list[np.ndarray]

    def instances(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every person as a row: image index [T] int64, boxes [T, 4], keypoints [T, 14, 2], visibility [T, 14]."""
        image_index = np.repeat(np.arange(len(self.boxes)), [len(b) for b in self.boxes])
        return image_index, np.concatenate(self.boxes), np.concatenate(self.keypoints), np.concatenate(self.visibility)


def generate(n: int, *, seed: int, size: int = 128) -> SyntheticSet:
    """n images; image i depends only on (seed, i, size), so pools of any n share a prefix."""
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    keypoints = np.empty((n, LSP14.num_keypoints, 2), dtype=np.float32)
    visibility = np.empty((n, LSP14.num_keypoints), dtype=np.int64)
    for i in range(n):
        images[i], keypoints[i], visibility[i] = render_one(np.random.default_rng([seed, i]), size)
    return SyntheticSet(images=images, keypoints=keypoints, visibility=visibility)


def render_one(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image [size, size, 3] uint8, its keypoints [14, 2] float32 and visibility [14] int64."""
    image = background(rng, size, size)
    draw = ImageDraw.Draw(image)
    joints, torso, facing_us = _pose(rng, size)
    # Pillow paints the pixel at the floor of a coordinate; shifting by half a pixel
    # turns that into rounding, so the figure is centred on labels at pixel centres.
    _draw_figure(draw, rng, joints + 0.5, torso, facing_us=facing_us)
    occluded = draw_occluders(image, draw, rng, joints, torso)
    inside = np.all((joints >= -0.5) & (joints < size - 0.5), axis=1)
    visibility = np.where(inside, np.where(occluded, 1, 2), 0).astype(np.int64)
    return degrade(image, rng, blur_unit=size / 128), joints.astype(np.float32), visibility


def generate_scenes(n: int, *, seed: int, width: int = 640, height: int = 480, max_people: int = 4) -> SyntheticScenes:
    """n scenes of 1 to max_people people; scene i depends only on (seed, i, width, height, max_people)."""
    images = np.empty((n, height, width, 3), dtype=np.uint8)
    boxes, keypoints, visibility = [], [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i, _SCENES_STREAM])
        images[i], scene_boxes, scene_keypoints, scene_visibility = render_scene(
            rng, width=width, height=height, max_people=max_people
        )
        boxes.append(scene_boxes)
        keypoints.append(scene_keypoints)
        visibility.append(scene_visibility)
    return SyntheticScenes(images=images, boxes=boxes, keypoints=keypoints, visibility=visibility)


def render_scene(
    rng: np.random.Generator, *, width: int = 640, height: int = 480, max_people: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One scene [H, W, 3] uint8 of 1 to max_people people (figures 15% to 90% of the image's height, placed
    anywhere, so some overlap and some are cut by the border): boxes [M, 4] float32, keypoints [M, 14, 2]
    float32, visibility [M, 14] int64."""
    image = background(rng, width, height)
    draw = ImageDraw.Draw(image)
    people = [_scene_pose(rng, width, height) for _ in range(rng.integers(1, max_people + 1))]
    # Smaller people stand farther away: drawn first, nearer ones overlap them.
    people.sort(key=lambda person: person[1])
    occluded, painted = [], []
    for joints, torso, facing_us in people:
        _draw_figure(draw, rng, joints + 0.5, torso, facing_us=facing_us)
        painted.append(_colours_at(image, joints))
        occluded.append(draw_occluders(image, draw, rng, joints, torso))
    keypoints = np.stack([joints for joints, _, _ in people])
    # A joint is hidden when anything drawn after its own figure (an occluder, a nearer person) changed it.
    changed = [(_colours_at(image, p[0]) != before).any(axis=1) for p, before in zip(people, painted, strict=True)]
    hidden = np.stack(occluded) | np.stack(changed)
    inside = np.all((keypoints >= -0.5) & (keypoints < np.array([width, height]) - 0.5), axis=-1)
    visibility = np.where(inside, np.where(hidden, 1, 2), 0).astype(np.int64)
    boxes = np.stack([_box(joints, torso, width, height) for joints, torso, _ in people])
    pixels = degrade(image, rng, blur_unit=min(width, height) / 256)
    return pixels, boxes.astype(np.float32), keypoints.astype(np.float32), visibility


def _scene_pose(rng: np.random.Generator, width: int, height: int) -> tuple[np.ndarray, float, bool]:
    """A person of a scene: joints [14, 2] in pixels, the torso length in pixels, whether it faces us."""
    body, facing_us = _body(rng)
    torso = height * rng.uniform(0.15, 0.9) / _TALLEST
    rotation = _rotation(rng)
    # The belly inside the image, anywhere: people near the border are cut by it.
    centre = rng.uniform(0.05, 0.95, size=2) * [width, height]
    return _place(body, torso, rotation, centre), torso, facing_us


def _colours_at(image: Image.Image, joints: np.ndarray) -> np.ndarray:
    """The colour [14, 3] of each joint's pixel (clipped to the image)."""
    pixels = np.clip(np.floor(joints + 0.5).astype(np.int64), 0, np.array(image.size) - 1)
    return np.array([image.getpixel((int(x), int(y))) for x, y in pixels])


def _box(joints: np.ndarray, torso: float, width: int, height: int) -> np.ndarray:
    """COCO box [x, y, w, h] on pixel edges around joints [14, 2] (pixel centres) with a margin, clipped to the image."""
    low = np.clip(joints.min(axis=0) + 0.5 - _BOX_MARGIN * torso, 0, [width, height])
    high = np.clip(joints.max(axis=0) + 0.5 + _BOX_MARGIN * torso, 0, [width, height])
    return np.concatenate([low, high - low])


def _pose(rng: np.random.Generator, size: int) -> tuple[np.ndarray, float, bool]:
    """Joint positions [14, 2] in pixels, the torso length in pixels, whether it faces us."""
    body, facing_us = _body(rng)
    torso = size * rng.uniform(0.12, 0.32)
    rotation = _rotation(rng)
    centre = size * rng.uniform(0.25, 0.75, size=2)
    return _place(body, torso, rotation, centre), torso, facing_us


def _body(rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Joint positions [14, 2] in torso lengths, neck at the origin and y down, and whether it faces us."""
    facing_us = rng.random() < 0.7
    right = -1.0 if facing_us else 1.0  # the image side of the figure's right
    yaw = rng.uniform(0.35, 1.0)  # shoulders and hips narrow as the body turns
    body = np.zeros((14, 2))
    head_tilt = math.radians(rng.normal(0, 15))
    body[_J["head-top"]] = _HEAD * rng.uniform(0.9, 1.1) * np.array([math.sin(head_tilt), -math.cos(head_tilt)])
    for side, sign in (("r", right), ("l", -right)):
        shoulder = np.array([sign * _SHOULDER_HALF_WIDTH * yaw, 0.08])
        hip = np.array([sign * _HIP_HALF_WIDTH * yaw, 1.0])
        lift = rng.uniform(-40, 190)
        elbow, wrist = _limb(rng, shoulder, sign, lift, _UPPER_ARM, _FOREARM, max_bend=150)
        kick = rng.uniform(-20, 70) if rng.random() < 0.85 else rng.uniform(70, 130)
        knee, ankle = _limb(rng, hip, sign, kick, _THIGH, _SHIN, max_bend=130)
        for name, point in zip(_LIMB_JOINTS, (shoulder, elbow, wrist, hip, knee, ankle)):
            body[_J[f"{side}-{name}"]] = point
    return body, facing_us


def _rotation(rng: np.random.Generator) -> np.ndarray:
    """A [2, 2] rotation: mostly upright within about 15 degrees, now and then any angle."""
    angle = math.radians(rng.normal(0, 15) if rng.random() < 0.85 else rng.uniform(-180, 180))
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def _place(body: np.ndarray, torso: float, rotation: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Body joints [14, 2] (torso lengths) -> pixels: scaled, rotated about the belly, the belly at centre."""
    return centre + torso * (body - [0.0, 0.9]) @ rotation.T


def _limb(rng, base: np.ndarray, sign: float, lift_degrees: float, upper: float, lower: float, *, max_bend: float):
    """Middle and end joints of a two-segment limb hanging from `base`.

    The upper segment is lift_degrees away from straight down, swung outwards on the
    limb's side; the lower one bends by up to max_bend either way (the image plane shows
    a 3D bend from any side). Both are foreshortened by up to 40%.
    """
    lift = math.radians(lift_degrees)
    upper_direction = np.array([sign * math.sin(lift), math.cos(lift)])
    bend = math.radians(rng.uniform(0, max_bend)) * rng.choice([-1.0, 1.0])
    c, s = math.cos(bend), math.sin(bend)
    lower_direction = np.array([[c, -s], [s, c]]) @ upper_direction
    middle = base + upper * rng.uniform(0.6, 1.0) * upper_direction
    return middle, middle + lower * rng.uniform(0.6, 1.0) * lower_direction


def _draw_figure(draw: ImageDraw.ImageDraw, rng, joints: np.ndarray, torso: float, *, facing_us: bool) -> None:
    """Far limbs, torso, near legs, neck and head, then near arm, each shaded and round-ended."""
    shirt, trousers = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    skin = np.clip(_SKIN_TONES[rng.integers(len(_SKIN_TONES))] + rng.normal(0, 12, 3), 0, 255)
    bare_arms, bare_legs = rng.random() < 0.4, rng.random() < 0.25
    far, near = ("l", "r") if rng.random() < 0.5 else ("r", "l")

    def limbs(side: str) -> list:
        # The figure's right side is lighter: learnable, but jittered so it is no constant.
        tint = (1.15 if side == "r" else 0.8) + rng.normal(0, 0.06)
        j = {name: joints[_J[f"{side}-{name}"]] for name in _LIMB_JOINTS}
        return [
            (j["shoulder"], j["elbow"], shirt * tint, _WIDTH["upper_arm"]),
            (j["elbow"], j["wrist"], (skin if bare_arms else shirt) * tint, _WIDTH["forearm"]),
            (j["hip"], j["knee"], trousers * tint, _WIDTH["thigh"]),
            (j["knee"], j["ankle"], (skin if bare_legs else trousers) * tint, _WIDTH["shin"]),
        ]

    def paint(segments: list) -> None:
        for a, b, colour, width in segments:
            shaded_segment(draw, a, b, colour, width * torso)

    far_limbs, near_limbs = limbs(far), limbs(near)
    paint(far_limbs)
    corners = [tuple(joints[_J[name]]) for name in ("l-shoulder", "r-shoulder", "r-hip", "l-hip")]
    draw.polygon(corners, fill=rgb(shirt), outline=rgb(shirt * 0.55), width=max(1, int(0.05 * torso)))
    paint(near_limbs[2:])
    neck, top = joints[_J["neck"]], joints[_J["head-top"]]
    up = (top - neck) / max(np.linalg.norm(top - neck), 1e-6)
    head = top - _HEAD_RADIUS * torso * up
    shaded_segment(draw, neck, head, skin, _WIDTH["neck"] * torso)
    _head(draw, rng, head, up, torso, skin, facing_us=facing_us)
    paint(near_limbs[:2])


def _head(draw, rng, centre: np.ndarray, up: np.ndarray, torso: float, skin, *, facing_us: bool) -> None:
    """A head disc: skin with two eyes when facing the camera, hair from behind."""
    r = _HEAD_RADIUS * torso
    hair = rng.integers(0, 120, 3)
    disc(draw, centre, r, rgb(hair * 0.6))
    disc(draw, centre, 0.88 * r, rgb(skin if facing_us else hair))
    if facing_us:
        across = np.array([-up[1], up[0]])
        for side in (-1, 1):
            disc(draw, centre + 0.25 * r * up + side * 0.38 * r * across, max(0.7, 0.12 * r), (20, 20, 30))
