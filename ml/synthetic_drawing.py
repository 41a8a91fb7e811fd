"""Pillow drawing for the synthetic pose sets: shaded tubes and discs, cluttered backgrounds, occluders and
camera degradation. Coordinates are pixels as Pillow reads them (see ml.synthetic for the labels' convention)."""

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def shaded_segment(draw: ImageDraw.ImageDraw, a, b, colour: np.ndarray, width: float) -> None:
    """A tube from a to b: dark rim, lighter core, round caps on both ends."""
    for scale, shade in ((1.0, 0.55), (0.6, 1.0)):
        w = max(1.0, width * scale)
        fill = rgb(colour * shade)
        draw.line([tuple(a), tuple(b)], fill=fill, width=round(w))
        disc(draw, a, w / 2, fill)
        disc(draw, b, w / 2, fill)


def disc(draw: ImageDraw.ImageDraw, centre, radius: float, fill: tuple[int, int, int]) -> None:
    """A filled circle."""
    x, y = centre
    draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def rgb(colour) -> tuple[int, int, int]:
    """A fill colour for Pillow from any three numbers, clipped to 0..255."""
    r, g, b = (min(255, max(0, int(c))) for c in colour)
    return r, g, b


def background(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Blotchy or gradient base, often stripes, then random shapes and limb-like sticks."""
    if rng.random() < 0.5:
        coarse = rng.integers(0, 256, (rng.integers(2, 8), rng.integers(2, 8), 3), dtype=np.uint8)
    else:
        coarse = _gradient(rng, cells=8)
    # Upsampling a tiny image is a cheap way to fill the frame with smooth colour.
    image = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    extent, frame = min(width, height), np.array([width, height])
    if rng.random() < 0.4:
        _stripes(draw, rng, width, height)
    for _ in range(rng.integers(0, 12)):
        shape = random_shape(rng, centre=rng.uniform(0, frame), extent=extent * rng.uniform(0.03, 0.3))
        paint(draw, shape, rgb(rng.uniform(0, 255, 3)))
    for _ in range(rng.integers(0, 4)):
        a = rng.uniform(0, frame)
        b = a + rng.normal(0, extent * 0.15, 2)
        shaded_segment(draw, a, b, rng.uniform(0, 255, 3), extent * rng.uniform(0.02, 0.07))
    return image


def _gradient(rng: np.random.Generator, *, cells: int) -> np.ndarray:
    """A linear ramp [cells, cells, 3] uint8 between two random colours at a random angle."""
    angle = rng.uniform(0, 2 * math.pi)
    grid = np.linspace(-0.5, 0.5, cells)
    t = np.clip(grid[None, :] * math.cos(angle) + grid[:, None] * math.sin(angle) + 0.5, 0, 1)[..., None]
    start, end = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    return (start * (1 - t) + end * t).astype(np.uint8)


def _stripes(draw: ImageDraw.ImageDraw, rng: np.random.Generator, width: int, height: int) -> None:
    """Parallel bands of one colour across the whole image at a random angle and period."""
    # Bands reach `reach` pixels from the centre each way, more than half the image's diagonal.
    short, reach = min(width, height), max(width, height)
    period = rng.uniform(short / 40, short / 4)
    band = max(1, round(period * rng.uniform(0.2, 0.8)))
    angle = rng.uniform(0, math.pi)
    normal = np.array([math.cos(angle), math.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    centre = (np.array([width, height]) - 1) / 2
    fill = rgb(rng.uniform(0, 255, 3))
    for offset in np.arange(-reach, reach, period) + rng.uniform(0, period):
        middle = centre + offset * normal
        draw.line([tuple(middle - reach * along), tuple(middle + reach * along)], fill=fill, width=band)


def random_shape(rng: np.random.Generator, *, centre, extent: float) -> tuple[str, list]:
    """An ellipse, rectangle or polygon of about `extent` pixels around `centre`: (kind, points)."""
    x, y = centre
    w, h = extent * rng.uniform(0.4, 1.0, 2)
    kind = ("ellipse", "rectangle", "polygon")[rng.integers(3)]
    if kind != "polygon":
        return kind, [(x - w, y - h), (x + w, y + h)]
    angles = np.sort(rng.uniform(0, 2 * math.pi, rng.integers(3, 7)))
    radii = extent * rng.uniform(0.4, 1.0, len(angles))
    return kind, [(x + r * math.cos(a), y + r * math.sin(a)) for r, a in zip(radii, angles)]


def paint(draw: ImageDraw.ImageDraw, shape: tuple[str, list], fill) -> None:
    kind, points = shape
    getattr(draw, kind)(points, fill=fill)


def draw_occluders(image: Image.Image, draw: ImageDraw.ImageDraw, rng, joints, torso: float) -> np.ndarray:
    """Draw 0-3 opaque shapes near random joints; True [14] for joints they cover."""
    mask = Image.new("L", image.size, 0)
    mask_draw = ImageDraw.Draw(mask)
    for _ in range(rng.integers(1, 4) if rng.random() < 0.5 else 0):
        centre = joints[rng.integers(len(joints))] + rng.normal(0, 0.3 * torso, 2)
        shape = random_shape(rng, centre=centre, extent=torso * rng.uniform(0.25, 0.8))
        paint(draw, shape, rgb(rng.uniform(0, 255, 3)))
        paint(mask_draw, shape, 255)
    pixels = np.clip(np.floor(joints + 0.5).astype(np.int64), 0, np.array(image.size) - 1)
    return np.asarray(mask)[pixels[:, 1], pixels[:, 0]] > 0


def degrade(image: Image.Image, rng: np.random.Generator, *, blur_unit: float) -> np.ndarray:
    """Blur (a radius of 0.3 to 2 blur_units), contrast/brightness change and additive noise, each of random
    strength."""
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.BoxBlur(rng.uniform(0.3, 2.0) * blur_unit))
    gain, shift = rng.uniform(0.6, 1.2), rng.uniform(-30, 30)
    image = image.point([min(255, max(0, int((i - 128) * gain + 128 + shift))) for i in range(256)] * 3)
    pixels = np.array(image)
    if rng.random() < 0.7:
        amplitude = int(rng.integers(1, 40))
        noisy = pixels.astype(np.int16) + rng.integers(-amplitude, amplitude + 1, pixels.shape, dtype=np.int16)
        pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    return pixels
