"""Small upright JPEG previews of stored images, made once and kept in the images' storage.

A thumbnail is named by the image's content hash and its size, so the same picture uploaded
to two projects shares one, and it never goes stale: the bytes behind a hash never change.
"""

import io

from django.core.files.base import ContentFile
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from alweb.errors import NotFound
from alweb.images.models import Image

# The longest side, in pixels, of the sizes made: a fixed few, so that the stored set stays bounded.
SIZES = (128, 256)
DEFAULT_SIZE = 256
QUALITY = 80


def thumbnail_name(*, sha256: str, size: int) -> str:
    return f"thumbnails/{size}/{sha256[:2]}/{sha256}.jpg"


def thumbnail_bytes(*, image: Image, size: int) -> bytes:
    """The image's thumbnail whose longest side is at most `size`: the stored one, else made and stored now.

    NotFound when the image's file is gone or cannot be decoded: there is then nothing to show.
    """
    if size not in SIZES:
        raise ValueError(f"thumbnail sizes are {SIZES}")
    storage = image.file.storage
    name = thumbnail_name(sha256=image.sha256, size=size)
    try:
        with storage.open(name, "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        pass
    data = _made(image=image, size=size)
    saved = storage.save(name, ContentFile(data))
    # Two first requests at once: the file system storage keeps both under different names.
    if saved != name:
        storage.delete(saved)
    return data


def _made(*, image: Image, size: int) -> bytes:
    try:
        with image.file.storage.open(image.file.name, "rb") as stored:
            source = io.BytesIO(stored.read())
    except FileNotFoundError:
        raise NotFound("The image's file is missing from storage.") from None
    try:
        with PILImage.open(source) as picture:
            # A JPEG decodes in the DCT domain at 1/2, 1/4 or 1/8 of its size, still at least `size` a side:
            # most of the decoding is skipped. The box is square, so the EXIF turn applied after does not matter.
            picture.draft("RGB", (size, size))
            upright = ImageOps.exif_transpose(picture).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, PILImage.DecompressionBombError):
        raise NotFound("The image's stored file is damaged and cannot be shown.") from None
    upright.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
