"""Check one uploaded image by its content and produce the upright bytes to store.

Only what Pillow's JPEG, PNG and WebP decoders recognise is accepted; the file name
and the declared content type are never trusted. Every image is decoded in full
before it is accepted, so a truncated or corrupt file never reaches the pool.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import ExifTags, Image, ImageFile, ImageOps

from alweb.images.metadata import MetadataError, without_metadata

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Pillow names a JPEG with extra frames (phones' depth maps) MPO; browsers show its first frame.
STORED_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "MPO": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
# Orientations 5-8 turn the image by 90 degrees, so the upright width is the stored height.
TRANSPOSING_ORIENTATIONS = {2, 3, 4, 5, 6, 7, 8}
# Leading bytes of formats people upload by mistake, to name them in the rejection.
KNOWN_SIGNATURES = (
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"%!PS", "a PostScript (EPS) file"),
    (b"\xc5\xd0\xd3\xc6", "a PostScript (EPS) file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7z archive"),
)
MARKUP_SIGNATURES = ((b"<svg", "an SVG file"), (b"<!doctype html", "an HTML page"), (b"<html", "an HTML page"))


class Rejected(Exception):
    """An upload that is not stored; `reason` says why in words a person can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DecodedImage:
    data: bytes  # the bytes to store: the original, or the re-encoded upright image
    sha256: str  # of `data`
    extension: str
    content_type: str
    width: int  # upright
    height: int


def decode_upload(data: bytes) -> DecodedImage:
    """Validate an upload's bytes and return what to store, or raise Rejected."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; truncated uploads would pass.")
    size_check(len(data))
    image = _open(data)
    if image.format == "PNG":
        # verify() checks every chunk's CRC, which decoding alone skips; it spends the image.
        _decode_step(image.verify)
        image = _open(data)
        # Decoded before the orientation is read: a PNG may keep its EXIF after the pixels.
        _decode_step(image.load)
    width, height = image.size
    orientation = _orientation(image)
    if orientation in TRANSPOSING_ORIENTATIONS:
        upright = _decode_step(lambda: ImageOps.exif_transpose(image))
        data = _decode_step(lambda: _encode(upright, image))
        width, height = upright.size
    else:
        _decode_in_full(image)
    data = _stored_bytes(data)
    extension, content_type = STORED_FORMATS[image.format]
    return DecodedImage(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        extension=extension,
        content_type=content_type,
        width=width,
        height=height,
    )


def size_check(size: int) -> None:
    """Reject an empty file or one over the per-file cap."""
    if size == 0:
        raise Rejected("The file is empty.")
    cap = settings.UPLOAD_MAX_FILE_BYTES
    if size > cap:
        raise Rejected(f"The file is larger than the limit of {cap:,} bytes per file.")


def _open(data: bytes) -> ImageFile.ImageFile:
    """Identify the format and read the header; no pixel is decoded yet."""
    try:
        # The warning Pillow gives for large images becomes an error. The filter is
        # process-wide while it is set; the explicit pixel check below holds regardless.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected(_too_many_pixels_reason()) from None
    except Image.UnidentifiedImageError:
        raise Rejected(_unaccepted_format_reason(data)) from None
    except Exception as exc:
        raise Rejected(f"The image header is damaged: {exc}.") from None
    width, height = image.size
    if width * height > settings.UPLOAD_MAX_PIXELS:
        raise Rejected(_too_many_pixels_reason(width, height))
    return image


def _decode_in_full(image: ImageFile.ImageFile) -> None:
    """Decode every byte of pixel data, so that a truncated file is caught.

    A JPEG is decoded at 1/8 scale (libjpeg's DCT scaling): it still reads and
    entropy-decodes every scan, so truncation anywhere is detected the same way as
    by a full decode, at about half the cost.
    """
    if image.format in ("JPEG", "MPO"):
        image.draft(image.mode, (1, 1))
    _decode_step(image.load)


def _orientation(image: ImageFile.ImageFile) -> int:
    """The EXIF orientation; 1 (as stored) when there is none or it cannot be read."""
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        return 1


def _stored_bytes(data: bytes) -> bytes:
    """The bytes to store: the image without its metadata (EXIF with GPS, XMP, comments).

    A file whose segments cannot be walked (Pillow decodes some that are not quite well formed)
    is re-encoded from its pixels instead.
    """
    try:
        return without_metadata(data)
    except MetadataError:
        image = _open(data)
        return _decode_step(lambda: _encode(ImageOps.exif_transpose(image), image))


def _encode(upright: Image.Image, original: ImageFile.ImageFile) -> bytes:
    """Re-encode an upright image in its original format with its ICC profile and no other metadata."""
    out = io.BytesIO()
    options = {"icc_profile": original.info.get("icc_profile")}
    if original.format in ("JPEG", "MPO"):
        upright.save(out, "JPEG", quality=95, **options)
    elif original.format == "WEBP":
        upright.save(out, "WEBP", quality=95, **options)
    else:
        upright.save(out, "PNG", **options)
    return out.getvalue()


def _decode_step(step):
    """Run one decoding step; any failure on untrusted bytes becomes a rejection."""
    try:
        return step()
    except Image.DecompressionBombError:
        raise Rejected(_too_many_pixels_reason()) from None
    except Exception as exc:
        raise Rejected(f"The image data is damaged or incomplete: {exc}.") from None


def _too_many_pixels_reason(width: int | None = None, height: int | None = None) -> str:
    limit = f"the limit is {settings.UPLOAD_MAX_PIXELS:,} pixels (decompression bomb guard)"
    if width is None:
        return f"The image has too many pixels; {limit}."
    return f"The image is {width}x{height} = {width * height:,} pixels; {limit}."


def _unaccepted_format_reason(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    found = next((name for magic, name in KNOWN_SIGNATURES if data.startswith(magic)), None)
    found = found or next((name for magic, name in MARKUP_SIGNATURES if magic in head), None)
    if found is None and head.startswith(b"<"):
        found = "a text or markup file"
    described = f" (it looks like {found})" if found else ""
    return f"The content is not a JPEG, PNG or WebP image{described}."
