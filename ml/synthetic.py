"""A synthetic pose data set: articulated figures with the 14 LSP joints, no download.

Each image is a shaded human-like figure in a random plausible pose (joint angles
within human limits, random yaw, scale, rotation and position) on a cluttered,
textured background, with optional occluders, blur and noise, so difficulty, and a
model's loss, varies widely from image to image. Left and right are told apart by
cues a model can learn but not read off trivially: the figure's right limbs are
drawn lighter than its left ones, and a front-facing head shows eyes where a
back-facing one shows hair.

Coordinates are pixels with pixel centres at integers (the image spans -0.5 to
size - 0.5). Visibility follows COCO: 2 visible, 1 hidden under an occluder (still
labelled), 0 outside the image. Truncated joints keep their true coordinates
(possibly negative or >= size); only v = 0 marks them, so mask by visibility.
"""

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ml.skeletons import LSP14

# Body proportions in torso lengths (neck to mid-hip): segment lengths and drawn widths.
_UPPER_ARM, _FOREARM, _THIGH, _SHIN, _HEAD = 0.6, 0.55, 0.85, 0.8, 0.54
_WIDTH = {"upper_arm": 0.17, "forearm": 0.14, "thigh": 0.24, "shin": 0.19, "neck": 0.14}
_SHOULDER_HALF_WIDTH, _HIP_HALF_WIDTH, _HEAD_RADIUS = 0.38, 0.2, 0.24
_SKIN_TONES = np.array([[255, 219, 172], [241, 194, 125], [224, 172, 105], [198, 134, 66], [141, 85, 36], [90, 56, 37]])
_LIMB_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
_J = {name: i for i, name in enumerate(LSP14.keypoints)}


@dataclass
class SyntheticSet:
    """images [N, size, size, 3] uint8 RGB; keypoints [N, 14, 2] float32 (x, y) in LSP
    order; visibility [N, 14] int64 in {0, 1, 2}."""

    images: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray


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
    image = _background(rng, size)
    draw = ImageDraw.Draw(image)
    joints, torso, facing_us = _pose(rng, size)
    # Pillow paints the pixel at the floor of a coordinate; shifting by half a pixel
    # turns that into rounding, so the figure is centred on labels at pixel centres.
    _draw_figure(draw, rng, joints + 0.5, torso, facing_us=facing_us)
    occluded = _draw_occluders(image, draw, rng, joints, torso)
    inside = np.all((joints >= -0.5) & (joints < size - 0.5), axis=1)
    visibility = np.where(inside, np.where(occluded, 1, 2), 0).astype(np.int64)
    return _degrade(image, rng, size), joints.astype(np.float32), visibility


def _pose(rng: np.random.Generator, size: int) -> tuple[np.ndarray, float, bool]:
    """Joint positions [14, 2] in pixels, the torso length in pixels, whether it faces us."""
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
    torso = size * rng.uniform(0.12, 0.32)
    angle = math.radians(rng.normal(0, 15) if rng.random() < 0.85 else rng.uniform(-180, 180))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = size * rng.uniform(0.25, 0.75, size=2)
    return centre + torso * (body - [0.0, 0.9]) @ rotation.T, torso, facing_us


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
            _shaded_segment(draw, a, b, colour, width * torso)

    far_limbs, near_limbs = limbs(far), limbs(near)
    paint(far_limbs)
    corners = [tuple(joints[_J[name]]) for name in ("l-shoulder", "r-shoulder", "r-hip", "l-hip")]
    draw.polygon(corners, fill=_rgb(shirt), outline=_rgb(shirt * 0.55), width=max(1, int(0.05 * torso)))
    paint(near_limbs[2:])
    neck, top = joints[_J["neck"]], joints[_J["head-top"]]
    up = (top - neck) / max(np.linalg.norm(top - neck), 1e-6)
    head = top - _HEAD_RADIUS * torso * up
    _shaded_segment(draw, neck, head, skin, _WIDTH["neck"] * torso)
    _head(draw, rng, head, up, torso, skin, facing_us=facing_us)
    paint(near_limbs[:2])


def _head(draw, rng, centre: np.ndarray, up: np.ndarray, torso: float, skin, *, facing_us: bool) -> None:
    """A head disc: skin with two eyes when facing the camera, hair from behind."""
    r = _HEAD_RADIUS * torso
    hair = rng.integers(0, 120, 3)
    _disc(draw, centre, r, _rgb(hair * 0.6))
    _disc(draw, centre, 0.88 * r, _rgb(skin if facing_us else hair))
    if facing_us:
        across = np.array([-up[1], up[0]])
        for side in (-1, 1):
            _disc(draw, centre + 0.25 * r * up + side * 0.38 * r * across, max(0.7, 0.12 * r), (20, 20, 30))


def _shaded_segment(draw: ImageDraw.ImageDraw, a, b, colour: np.ndarray, width: float) -> None:
    """A tube from a to b: dark rim, lighter core, round caps on both ends."""
    for scale, shade in ((1.0, 0.55), (0.6, 1.0)):
        w = max(1.0, width * scale)
        fill = _rgb(colour * shade)
        draw.line([tuple(a), tuple(b)], fill=fill, width=round(w))
        _disc(draw, a, w / 2, fill)
        _disc(draw, b, w / 2, fill)


def _disc(draw: ImageDraw.ImageDraw, centre, radius: float, fill: tuple[int, int, int]) -> None:
    x, y = centre
    draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def _rgb(colour) -> tuple[int, int, int]:
    """A fill colour for Pillow from any three numbers, clipped to 0..255."""
    r, g, b = (min(255, max(0, int(c))) for c in colour)
    return r, g, b


def _background(rng: np.random.Generator, size: int) -> Image.Image:
    """Blotchy or gradient base, often stripes, then random shapes and limb-like sticks."""
    if rng.random() < 0.5:
        coarse = rng.integers(0, 256, (rng.integers(2, 8), rng.integers(2, 8), 3), dtype=np.uint8)
    else:
        coarse = _gradient(rng, cells=8)
    # Upsampling a tiny image is a cheap way to fill the frame with smooth colour.
    image = Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.4:
        _stripes(draw, rng, size)
    for _ in range(rng.integers(0, 12)):
        shape = _random_shape(rng, centre=rng.uniform(0, size, 2), extent=size * rng.uniform(0.03, 0.3))
        _paint(draw, shape, _rgb(rng.uniform(0, 255, 3)))
    for _ in range(rng.integers(0, 4)):
        a = rng.uniform(0, size, 2)
        b = a + rng.normal(0, size * 0.15, 2)
        _shaded_segment(draw, a, b, rng.uniform(0, 255, 3), size * rng.uniform(0.02, 0.07))
    return image


def _gradient(rng: np.random.Generator, *, cells: int) -> np.ndarray:
    """A linear ramp [cells, cells, 3] uint8 between two random colours at a random angle."""
    angle = rng.uniform(0, 2 * math.pi)
    grid = np.linspace(-0.5, 0.5, cells)
    t = np.clip(grid[None, :] * math.cos(angle) + grid[:, None] * math.sin(angle) + 0.5, 0, 1)[..., None]
    start, end = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    return (start * (1 - t) + end * t).astype(np.uint8)


def _stripes(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: int) -> None:
    """Parallel bands of one colour across the whole image at a random angle and period."""
    period = rng.uniform(size / 40, size / 4)
    width = max(1, round(period * rng.uniform(0.2, 0.8)))
    angle = rng.uniform(0, math.pi)
    normal = np.array([math.cos(angle), math.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    centre = np.full(2, (size - 1) / 2)
    fill = _rgb(rng.uniform(0, 255, 3))
    for offset in np.arange(-size, size, period) + rng.uniform(0, period):
        middle = centre + offset * normal
        draw.line([tuple(middle - size * along), tuple(middle + size * along)], fill=fill, width=width)


def _random_shape(rng: np.random.Generator, *, centre, extent: float) -> tuple[str, list]:
    """An ellipse, rectangle or polygon of about `extent` pixels around `centre`: (kind, points)."""
    x, y = centre
    w, h = extent * rng.uniform(0.4, 1.0, 2)
    kind = ("ellipse", "rectangle", "polygon")[rng.integers(3)]
    if kind != "polygon":
        return kind, [(x - w, y - h), (x + w, y + h)]
    angles = np.sort(rng.uniform(0, 2 * math.pi, rng.integers(3, 7)))
    radii = extent * rng.uniform(0.4, 1.0, len(angles))
    return kind, [(x + r * math.cos(a), y + r * math.sin(a)) for r, a in zip(radii, angles)]


def _paint(draw: ImageDraw.ImageDraw, shape: tuple[str, list], fill) -> None:
    kind, points = shape
    getattr(draw, kind)(points, fill=fill)


def _draw_occluders(image: Image.Image, draw: ImageDraw.ImageDraw, rng, joints, torso: float) -> np.ndarray:
    """Draw 0-3 opaque shapes near random joints; True [14] for joints they cover."""
    mask = Image.new("L", image.size, 0)
    mask_draw = ImageDraw.Draw(mask)
    for _ in range(rng.integers(1, 4) if rng.random() < 0.5 else 0):
        centre = joints[rng.integers(len(joints))] + rng.normal(0, 0.3 * torso, 2)
        shape = _random_shape(rng, centre=centre, extent=torso * rng.uniform(0.25, 0.8))
        _paint(draw, shape, _rgb(rng.uniform(0, 255, 3)))
        _paint(mask_draw, shape, 255)
    size = image.size[0]
    pixels = np.clip(np.floor(joints + 0.5).astype(np.int64), 0, size - 1)
    return np.asarray(mask)[pixels[:, 1], pixels[:, 0]] > 0


def _degrade(image: Image.Image, rng: np.random.Generator, size: int) -> np.ndarray:
    """Blur, contrast/brightness change and additive noise, each of random strength."""
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.BoxBlur(rng.uniform(0.3, 2.0) * size / 128))
    gain, shift = rng.uniform(0.6, 1.2), rng.uniform(-30, 30)
    image = image.point([min(255, max(0, int((i - 128) * gain + 128 + shift))) for i in range(256)] * 3)
    pixels = np.array(image)
    if rng.random() < 0.7:
        amplitude = int(rng.integers(1, 40))
        noisy = pixels.astype(np.int16) + rng.integers(-amplitude, amplitude + 1, pixels.shape, dtype=np.int16)
        pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    return pixels
