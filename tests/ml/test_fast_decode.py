"""ml.fast_decode gives Pillow's pixels, bit for bit, for every file it admits, and leaves every other
file, with its pixels and its errors, to Pillow."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from ml import fast_decode
from ml.preprocess import load_image, load_image_for_scale


def picture(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Smooth gradients with noise: JPEG's subsampling and DCT scaling both have something to round."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / max(width, 1), y * 255 / max(height, 1), (x + y) % 256], axis=-1)
    return np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def pillow_decoded(data: bytes, reduction: int) -> np.ndarray:
    """What Pillow alone gives: drafted at 1/reduction (a JPEG), turned upright, in RGB."""
    with Image.open(io.BytesIO(data)) as im:
        if reduction > 1:
            im.draft("RGB", (im.size[0] // reduction, im.size[1] // reduction))
        upright = ImageOps.exif_transpose(im)
        return np.asarray(upright.convert("RGB"))


def scale_for(reduction: int):
    """A needed_scale that load_image_for_scale answers with this reduction."""
    return lambda size: 1.0 / reduction


def assert_fast_and_exact(data: bytes, reduction: int = 1) -> None:
    assert fast_decode.probe(data) is not None, "this file should take the fast path"
    decoded = load_image_for_scale(io.BytesIO(data), scale_for(reduction))
    assert decoded.reduction == reduction
    expected = pillow_decoded(data, reduction)
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.flags.c_contiguous
    np.testing.assert_array_equal(decoded.pixels, expected)


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("subsampling", [0, 1, 2], ids=["444", "422", "420"])
@pytest.mark.parametrize("size", [(128, 128), (37, 23), (130, 97), (640, 480)], ids=str)
@pytest.mark.parametrize("reduction", [1, 2, 4, 8])
def test_jpeg_pixels_are_pillows_at_every_reduction(size, reduction, subsampling):
    if reduction > min(size):
        pytest.skip("load_image_for_scale never reduces below one pixel a side")
    data = encoded(Image.fromarray(picture(*size)), "JPEG", quality=90, subsampling=subsampling)
    assert_fast_and_exact(data, reduction)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("reduction", [1, 2])
def test_jpeg_exif_orientations_turn_as_pillow_turns_them(orientation, reduction):
    data = encoded(Image.fromarray(picture(61, 40)), "JPEG", quality=90, exif=exif_with_orientation(orientation))
    assert fast_decode.probe(data).orientation == orientation
    assert_fast_and_exact(data, reduction)
    # The size and map to decoded pixels are the ones Pillow's path gives for the upright image.
    decoded = load_image_for_scale(io.BytesIO(data), scale_for(reduction))
    upright_size = (40, 61) if orientation >= 5 else (61, 40)
    assert decoded.size == upright_size


def test_grey_and_progressive_jpegs_are_pillows():
    grey = Image.fromarray(picture(50, 33)[:, :, 0])
    assert_fast_and_exact(encoded(grey, "JPEG", quality=85))
    assert_fast_and_exact(encoded(grey, "JPEG", quality=85), 2)
    assert_fast_and_exact(encoded(Image.fromarray(picture(90, 70)), "JPEG", progressive=True), 4)


def with_chunk(png: bytes, kind: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    """The PNG with one more chunk right after IHDR (8-byte signature + 25-byte IHDR chunk)."""
    checksum = zlib.crc32(body, zlib.crc32(kind)) if crc is None else crc
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)
    return png[:33] + chunk + png[33:]


@pytest.mark.parametrize(
    "make",
    [
        lambda: encoded(Image.fromarray(picture(77, 45)), "PNG"),
        lambda: encoded(Image.fromarray(picture(77, 45)), "PNG", compress_level=0),
        lambda: encoded(Image.fromarray(picture(77, 45)).convert("RGBA"), "PNG"),
        lambda: encoded(Image.fromarray(picture(77, 45)), "PNG", transparency=(10, 20, 30)),
        lambda: with_chunk(encoded(Image.fromarray(picture(30, 20)), "PNG"), b"gAMA", struct.pack(">I", 45455)),
        lambda: with_chunk(encoded(Image.fromarray(picture(30, 20)), "PNG"), b"sRGB", b"\0"),
        lambda: with_chunk(encoded(Image.fromarray(picture(30, 20)), "PNG"), b"tEXt", b"Software\0a tool"),
    ],
    ids=["rgb", "stored", "rgba", "rgb-trns", "gama", "srgb", "text"],
)
def test_png_pixels_are_pillows(make):
    assert_fast_and_exact(make())


def test_png_with_alpha_keeps_the_colour_of_transparent_pixels():
    rgba = np.dstack([picture(20, 10), np.zeros((10, 20), np.uint8)])
    assert_fast_and_exact(encoded(Image.fromarray(rgba), "PNG"))


@pytest.mark.parametrize(
    "make",
    [
        lambda: encoded(Image.fromarray(picture(40, 30)).convert("CMYK"), "JPEG"),
        lambda: encoded(Image.fromarray(picture(40, 30)), "JPEG", xmp=b'<x tiff:Orientation="6"/>'),
        lambda: encoded(Image.fromarray(picture(40, 30)).convert("P"), "PNG"),
        lambda: encoded(Image.fromarray(picture(40, 30)).convert("L"), "PNG"),
        lambda: encoded(Image.fromarray(picture(40, 30)), "PNG", exif=exif_with_orientation(6)),
        lambda: with_chunk(
            encoded(Image.fromarray(picture(40, 30)), "PNG"),
            b"iTXt",
            b'XML:com.adobe.xmp\0\0\0\0\0<x tiff:Orientation="6"/>',
        ),
        lambda: encoded(Image.fromarray(picture(40, 30)), "GIF"),
        lambda: encoded(Image.fromarray(picture(40, 30)), "BMP"),
    ],
    ids=["cmyk-jpeg", "xmp-jpeg", "palette-png", "grey-png", "exif-png", "xmp-png", "gif", "bmp"],
)
def test_other_files_are_left_to_pillow_and_decode_as_before(make):
    data = make()
    assert fast_decode.probe(data) is None
    np.testing.assert_array_equal(load_image(io.BytesIO(data)), pillow_decoded(data, 1))


def test_a_png_chunk_with_a_bad_checksum_fails_as_pillow_fails():
    data = with_chunk(encoded(Image.fromarray(picture(30, 20)), "PNG"), b"tEXt", b"Software\0x", crc=1)
    assert fast_decode.probe(data) is None
    with pytest.raises(Image.UnidentifiedImageError):
        Image.open(io.BytesIO(data))
    with pytest.raises(Image.UnidentifiedImageError):
        load_image(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_file_fails_as_pillow_fails(fmt):
    whole = encoded(Image.fromarray(picture(64, 64)), fmt)
    truncated = whole[: len(whole) // 2]
    with pytest.raises(OSError, match="truncated"):
        load_image(io.BytesIO(truncated))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_decompression_bomb_is_refused_by_pillow(monkeypatch, fmt):
    data = encoded(Image.fromarray(picture(64, 64)), fmt)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 64 // 3)
    assert fast_decode.probe(data) is None
    with pytest.raises(Image.DecompressionBombError):
        load_image(io.BytesIO(data))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8\xff",
        b"\xff\xd8\xff\xe1\x00\x01",
        b"\xff\xd8\xff\xd0\xff\xda\x00\x02",
        b"\x89PNG\r\n\x1a\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    ],
    ids=["empty", "jpeg-start", "jpeg-bad-length", "jpeg-standalone-marker", "png-signature", "png-cut-ihdr"],
)
def test_probe_turns_down_malformed_headers(data):
    assert fast_decode.probe(data) is None


@pytest.mark.parametrize(
    "tiff",
    [
        b"II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x09\x00\x00\x00",  # orientation 9
        b"II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x04\x00\x01\x00\x00\x00\x06\x00\x00\x00",  # a LONG, not a SHORT
        b"II*\x00\xff\x00\x00\x00",  # directory past the end
        b"XX*\x00\x08\x00\x00\x00",  # no byte order
    ],
)
def test_unusual_exif_is_left_to_pillow(tiff):
    assert fast_decode._exif_orientation(tiff) is None


def test_exif_without_orientation_reads_as_upright():
    exif = Image.Exif()
    exif[0x010F] = "a camera maker"
    assert fast_decode._exif_orientation(exif.tobytes()[len(b"Exif\0\0") :]) == 0


def test_a_tiny_jpeg_reduced_goes_to_pillow_and_decodes_as_before():
    data = encoded(Image.fromarray(picture(6, 5)), "JPEG", quality=90)
    assert fast_decode.decode(data, fast_decode.probe(data), 2) is None
    decoded = load_image_for_scale(io.BytesIO(data), scale_for(2))
    assert decoded.reduction == 2
    np.testing.assert_array_equal(decoded.pixels, pillow_decoded(data, 2))
