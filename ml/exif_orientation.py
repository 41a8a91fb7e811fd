"""EXIF orientations (1 to 8) as ImageOps.exif_transpose applies them: 2 mirrors, 3 turns half, 4 flips,
5 transposes, 6 turns clockwise, 7 transverses, 8 turns anticlockwise."""

import numpy as np

# For each orientation, whether the upright x and y axes run against the stored image's.
REVERSED_AXES = {
    1: (False, False),
    2: (True, False),
    3: (True, True),
    4: (False, True),
    5: (False, False),
    6: (True, False),
    7: (True, True),
    8: (False, True),
}
# The orientations that also swap width and height.
QUARTER_TURNS = (5, 6, 7, 8)


def upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Stored pixels [H,W,...] turned upright, as exif_transpose turns an image of that orientation (a view)."""
    if orientation in QUARTER_TURNS:
        pixels = pixels.swapaxes(0, 1)
    x_reversed, y_reversed = REVERSED_AXES[orientation]
    return pixels[:: -1 if y_reversed else 1, :: -1 if x_reversed else 1]
