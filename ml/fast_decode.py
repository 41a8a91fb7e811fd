"""JPEG and PNG decoded straight into numpy, in one call that releases the GIL, where that gives Pillow's pixels.

Scoring decodes every pool image in every cycle, and beside the forward the decode is most of what it
costs: on a CPU worker it shares the cores with the forward, and beside a GPU it is the whole of the
CPU's work. Pillow parses a JPEG's markers and a PNG's chunks in Python, decodes a PNG in several calls
(each gives the GIL back and waits to take it again), and copies the pixels once more into numpy.
simplejpeg (libjpeg-turbo, the library and settings of Pillow's JPEG decoder) and imagecodecs (libpng)
decode in one call. Measured on 128 px images, one thread: load_image took a PNG from 400 to 303 us and
a JPEG from 185 to 105 us (bench/scoring.py prints both beside Pillow alone).

probe() admits only files whose pixels both decoders give exactly as Pillow does (tests compare them
bit for bit); decode() returns None where a decoder refuses one. The caller then decodes with Pillow,
which keeps its pixels, its warnings and its errors for every other file.
"""

import zlib
from typing import NamedTuple

import imagecodecs
import numpy as np
import simplejpeg
from PIL import Image

from ml.exif_orientation import upright

_JPEG_START = b"\xff\xd8\xff"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF = b"Exif\0\0"
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_MULTI_PICTURE = b"MPF\0"
# Markers without a length: TEM, RST0-7 and SOI (a second one), valid only outside the header.
_STANDALONE_MARKERS = frozenset([0x01, *range(0xD0, 0xD9)])
_EXIF_ORIENTATION_TAG = 0x0112
_TIFF_SHORT = 3
# Colour spaces libjpeg-turbo turns into RGB exactly as Pillow does (a grey image's one channel, repeated).
_JPEG_COLOURSPACES = ("YCbCr", "Gray")
# Where Pillow finds an orientation in a PNG (then exif_transpose would turn the image): its own
# chunk, and the text chunks it reads EXIF and XMP from.
_PNG_ORIENTATION_KEYWORDS = (b"Raw profile type exif\0", b"XML:com.adobe.xmp\0")  # keyword, then its NUL
_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


class FastFile(NamedTuple):
    """A file probe() admits."""

    format: str  # "JPEG" or "PNG"
    stored_size: tuple[int, int]  # (W, H) as stored, before the EXIF orientation turns it
    orientation: int  # EXIF orientation, 1 (as stored) to 8


def probe(data: bytes) -> FastFile | None:
    """The file's format, size and orientation if decode() gives Pillow's pixels for it; None otherwise."""
    if data.startswith(_JPEG_START):
        found = _probe_jpeg(data)
    elif data.startswith(_PNG_SIGNATURE):
        found = _probe_png(data)
    else:
        return None
    if found is None:
        return None
    width, height = found.stored_size
    # Pillow warns about, or refuses, an image this large (a decompression bomb); let it.
    if Image.MAX_IMAGE_PIXELS is not None and width * height > Image.MAX_IMAGE_PIXELS:
        return None
    return found


def decode(data: bytes, file: FastFile, reduction: int = 1) -> np.ndarray | None:
    """The upright RGB pixels [ceil(H / r), ceil(W / r), 3] uint8 of a file probe() admitted, decoded at
    1/reduction (a JPEG's DCT scaling; r is 1 for a PNG), or None where the decoder refuses the file."""
    width, height = file.stored_size
    try:
        if file.format == "JPEG":
            pixels = _decode_jpeg(data, width, height, reduction)
        elif reduction == 1:
            pixels = imagecodecs.png_decode(data)
            # An alpha channel (RGBA, or RGB whose tRNS the decoder expands): Pillow's RGB drops it.
            pixels = pixels[:, :, :3] if pixels.ndim == 3 else None
        else:
            return None
    except (ValueError, RuntimeError):  # what simplejpeg and imagecodecs raise for a file they refuse
        return None
    expected = (-(-height // reduction), -(-width // reduction), 3)
    if pixels is None or pixels.shape != expected or pixels.dtype != np.uint8:
        return None
    return np.ascontiguousarray(upright(pixels, file.orientation))


def _decode_jpeg(data: bytes, width: int, height: int, reduction: int) -> np.ndarray | None:
    if reduction == 1:
        return simplejpeg.decode_jpeg(data, colorspace="RGB")
    # simplejpeg takes the smallest of libjpeg-turbo's scales (n/8) that decodes to at least the sizes
    # asked for. On a side of 8 pixels or more, the scale below 1/r decodes to fewer pixels than 1/r,
    # so asking for ceil(side / r) gets exactly 1/r, the scale Pillow's draft asks libjpeg for.
    if max(width, height) < 8:
        return None
    return simplejpeg.decode_jpeg(
        data, colorspace="RGB", min_width=-(-width // reduction), min_height=-(-height // reduction)
    )


def _probe_jpeg(data: bytes) -> FastFile | None:
    """Walk the markers up to the scan: the EXIF orientation, and anything that needs Pillow."""
    position, exif, xmp = 2, None, False
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before the marker
            position += 1
            continue
        if marker == 0xDA:  # start of scan: every header marker has been seen
            break
        if marker in _STANDALONE_MARKERS:  # no length follows; Pillow steps over them, and so they go to it
            return None
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segment = data[position + 4 : position + 2 + length]
        if length < 2 or len(segment) != length - 2:
            return None
        if marker == 0xE1 and segment.startswith(_EXIF):
            if exif is not None:  # Pillow joins several EXIF segments into one
                return None
            exif = segment[len(_EXIF) :]
        elif marker == 0xE1 and segment.startswith(_XMP):
            xmp = True
        elif marker == 0xE2 and segment.startswith(_MULTI_PICTURE):  # Pillow opens it as MPO
            return None
        position += 2 + length
    orientation = _exif_orientation(exif) if exif is not None else 0
    if orientation is None or (orientation == 0 and xmp):  # Pillow would look further, in the XMP
        return None
    try:
        height, width, colourspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError:
        return None
    if colourspace not in _JPEG_COLOURSPACES:
        return None
    return FastFile("JPEG", (width, height), orientation or 1)


def _exif_orientation(tiff: bytes) -> int | None:
    """The Orientation of EXIF's first image directory: 1 to 8, 0 when it has none, None for anything
    else (a structure or value Pillow should read)."""
    order = {b"II": "little", b"MM": "big"}.get(tiff[:2])
    if order is None or len(tiff) < 8 or int.from_bytes(tiff[2:4], order) != 42:
        return None
    directory = int.from_bytes(tiff[4:8], order)
    if directory + 2 > len(tiff):
        return None
    end = directory + 2 + 12 * int.from_bytes(tiff[directory : directory + 2], order)
    if end > len(tiff):
        return None
    entries = [
        tiff[entry + 2 : entry + 12]
        for entry in range(directory + 2, end, 12)
        if int.from_bytes(tiff[entry : entry + 2], order) == _EXIF_ORIENTATION_TAG
    ]
    if not entries:
        return 0
    if len(entries) > 1:
        return None
    kind, count, value = (int.from_bytes(field, order) for field in (entries[0][:2], entries[0][2:6], entries[0][6:8]))
    if kind != _TIFF_SHORT or count != 1 or not 1 <= value <= 8:
        return None
    return value


def _probe_png(data: bytes) -> FastFile | None:
    """Walk the chunks: 8-bit RGB or RGBA, every chunk whole with its checksum (Pillow checks them), and
    no animation or orientation."""
    position, size = len(_PNG_SIGNATURE), None
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            return None
        body = data[position + 8 : end - 4]
        if kind != b"IDAT" and zlib.crc32(body, zlib.crc32(kind)) != int.from_bytes(data[end - 4 : end], "big"):
            return None
        if kind == b"IHDR":
            if len(body) != 13 or body[8] != 8 or body[9] not in (2, 6):  # bit depth 8; RGB or RGBA
                return None
            size = (int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big"))
        elif _needs_pillow(kind, body):
            return None
        elif kind == b"IEND":
            return FastFile("PNG", size, 1) if size is not None else None
        position = end
    return None


def _needs_pillow(kind: bytes, body: bytes) -> bool:
    """Whether a PNG chunk may orient the image (EXIF, or XMP in text) or animate it."""
    if kind in (b"eXIf", b"acTL"):
        return True
    return kind in _PNG_TEXT_CHUNKS and body.startswith(_PNG_ORIENTATION_KEYWORDS)
