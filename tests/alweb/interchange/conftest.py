"""Helpers for the COCO tests: tiny generated images, stored rows, exported documents."""

import io
import json

import pytest
from PIL import Image as PILImage


def image_bytes(
    *, width: int, height: int, fmt: str = "PNG", color=(200, 40, 40), orientation: int | None = None
) -> bytes:
    """A small image file; with orientation, a JPEG whose EXIF says how to turn it upright."""
    buffer = io.BytesIO()
    picture = PILImage.new("RGB", (width, height), color)
    if orientation is None:
        picture.save(buffer, format=fmt)
    else:
        exif = PILImage.Exif()
        exif[0x0112] = orientation
        picture.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def stored_image():
    """Create an Image row with its file in storage, as the pool holds it."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from alweb.images.models import Image

    def create(*, project, name: str, width: int, height: int, data: bytes | None = None):
        data = data or image_bytes(width=width, height=height, color=(len(name) * 7 % 255, width % 255, height % 255))
        path = default_storage.save(f"test-images/{name}", ContentFile(data))
        return Image.objects.create(
            project=project,
            name=name,
            file=path,
            sha256=hashlib.sha256(data).hexdigest(),
            content_type="image/png",
            width=width,
            height=height,
        )

    return create


def streamed_chunks(response) -> list[bytes]:
    """The chunks of a streamed response, read one at a time as the server sends them."""
    assert response.streaming and not response.is_async, "the export must stream from the request's thread"
    return list(response.streaming_content)


def exported(response) -> dict:
    """The JSON document of a streamed export response."""
    assert response.status_code == 200, response.content
    return json.loads(b"".join(streamed_chunks(response)))


def zip_of(members: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def coco_json(document) -> object:
    """The document as an uploaded JSON file (a str is sent as it is)."""
    raw = document.encode() if isinstance(document, str) else json.dumps(document).encode()
    return upload("coco.json", raw, "application/json")


@pytest.fixture
def media_root(settings, tmp_path):
    """An empty MEDIA_ROOT for the test, so that 'no file left behind' can be checked."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def error_text(response) -> str:
    """Every message of a JSON error body, one a line, as a person would read them."""

    def leaves(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from leaves(value)
        elif isinstance(node, list):
            for value in node:
                yield from leaves(value)
        else:
            yield str(node)

    return "\n".join(leaves(response.json()))
