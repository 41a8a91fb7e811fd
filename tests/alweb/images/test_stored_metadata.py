"""Stored images carry no EXIF (GPS position included), XMP or comments; their pixels are untouched."""

import io
import struct

import pytest
from PIL import ExifTags, ImageChops, PngImagePlugin
from PIL import Image as PILImage

from tests.alweb.images.conftest import stored_files

pytestmark = pytest.mark.django_db

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description exif:GPSLatitude="52,31.2N" xmlns:exif="http://ns.adobe.com/exif/1.0/"/></rdf:RDF>'
    b"</x:xmpmeta>"
)
# Bytes that betray a location or a device if any of them survives.
TELLTALES = (b"Exif\x00\x00", b"GPS", b"ns.adobe.com", b"Canon", b"at home")


def gps_exif(orientation: int = 1) -> PILImage.Exif:
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (13.0, 24.0, 36.0),
    }
    return exif


def pixels(size=(60, 40)) -> PILImage.Image:
    image = PILImage.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 220), (0, size[1] // 2, size[0], size[1]))
    return image


def jpeg_with_gps(orientation: int = 1) -> bytes:
    out = io.BytesIO()
    pixels().save(out, "JPEG", quality=95, exif=gps_exif(orientation).tobytes())
    data = out.getvalue()
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    comment = b"taken at home"
    extra = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + b"\xff\xfe" + struct.pack(">H", len(comment) + 2)
    return data[:2] + extra + comment + data[2:]


def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    pixels().save(out, "PNG", pnginfo=info, exif=gps_exif().tobytes())
    return out.getvalue()


def webp_with_metadata() -> bytes:
    out = io.BytesIO()
    pixels().save(out, "WEBP", lossless=True, exif=gps_exif().tobytes(), xmp=XMP)
    return out.getvalue()


def assert_clean(stored: bytes) -> PILImage.Image:
    for telltale in TELLTALES:
        assert telltale not in stored, telltale
    image = PILImage.open(io.BytesIO(stored))
    assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
    image.load()
    return image


@pytest.mark.parametrize("orientation", [1, 6])
def test_jpeg_with_gps_exif_xmp_and_comment_is_stored_without_them(post_files, media, orientation):
    data = jpeg_with_gps(orientation)
    assert all(telltale in data for telltale in TELLTALES)
    response = post_files(("phone.jpg", data))
    assert response.status_code == 201, response.content
    stored = assert_clean(stored_files(media)[0].read_bytes())
    assert stored.size == ((60, 40) if orientation == 1 else (40, 60))
    if orientation == 1:
        # Not re-encoded: the same pixels, bit for bit.
        original = PILImage.open(io.BytesIO(data)).convert("RGB")
        assert not ImageChops.difference(original, stored.convert("RGB")).getbbox()


@pytest.mark.parametrize("name, make", [("a.png", png_with_metadata), ("a.webp", webp_with_metadata)])
def test_png_and_webp_are_stored_without_their_metadata(post_files, media, name, make):
    data = make()
    assert b"GPS" in data or b"Exif" in data or b"eXIf" in data
    assert post_files((name, data)).status_code == 201
    stored = assert_clean(stored_files(media)[0].read_bytes())
    assert not ImageChops.difference(PILImage.open(io.BytesIO(data)).convert("RGB"), stored.convert("RGB")).getbbox()


def test_the_same_photo_with_other_metadata_is_a_duplicate(post_files, media):
    first = post_files(("a.jpg", jpeg_with_gps()))
    out = io.BytesIO()
    pixels().save(out, "JPEG", quality=95)
    second = post_files(("b.jpg", out.getvalue()))
    assert first.json()["results"][0]["status"] == "created"
    assert second.json()["results"][0]["status"] == "duplicate"
    assert len(stored_files(media)) == 1


def test_the_client_hashes_files_as_the_server_stores_them(post_files, media, tmp_path):
    import hashlib

    from alweb.client.upload import sha256_of

    path = tmp_path / "phone.jpg"
    path.write_bytes(jpeg_with_gps())
    post_files(("phone.jpg", path.read_bytes()))
    assert sha256_of(path) == hashlib.sha256(stored_files(media)[0].read_bytes()).hexdigest()
