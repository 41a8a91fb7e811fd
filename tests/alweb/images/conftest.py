"""Images made in code, zip archives built member by member, and a private media and temp folder per test."""

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage


@pytest.fixture(autouse=True)
def media(settings, tmp_path, monkeypatch):
    """Store into a fresh folder; spool every upload to a temp file; check that none is left over."""
    from alweb.images import upload_handlers

    settings.MEDIA_ROOT = tmp_path / "media"
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    monkeypatch.setattr(upload_handlers, "IN_MEMORY_BODY_BYTES", 0)
    yield settings.MEDIA_ROOT
    assert list(uploads.iterdir()) == [], "an uploaded temp file was left behind"


def stored_files(media_root: Path) -> list[Path]:
    return sorted(path for path in Path(media_root).rglob("*") if path.is_file())


def assert_nothing_stored(media_root: Path) -> None:
    from alweb.images.models import Image

    assert not Image.objects.exists()
    assert stored_files(media_root) == []


def image_bytes(fmt: str = "JPEG", size=(48, 32), color=(200, 30, 30), seed: int = 0, orientation=None) -> bytes:
    """A small image whose left half is `color` and right half blue; `seed` varies the content."""
    image = PILImage.new("RGB", size, (30, 30, 220))
    image.paste(color, (0, 0, size[0] // 2, size[1]))
    marker = (seed * 37 % 256, seed // 7 * 91 % 256, seed * 53 % 256)
    image.paste(marker, (size[0] - 8, size[1] - 8, size[0], size[1]))
    out = io.BytesIO()
    options = {}
    if orientation is not None:
        exif = PILImage.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(**kwargs) -> bytes:
    return image_bytes("JPEG", **kwargs)


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name, data) pairs; data None makes a directory entry, a ZipInfo keeps its attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            if data is None:
                archive.mkdir(name)
            else:
                archive.writestr(name, data)
    return out.getvalue()


def symlink_zip(name: str, target: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return out.getvalue()


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a tiny image body: what a bomb looks like up front."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def images_url(project):
    return f"/api/v1/projects/{project.id}/images/"


@pytest.fixture
def post_files(admin_client, images_url):
    """POST files (name, bytes) as multipart `files` parts, as the admin."""

    def post(*files, client=None, **fields):
        parts = [upload(name, data) for name, data in files]
        return (client or admin_client).post(images_url, {"files": parts, **fields}, format="multipart")

    return post
