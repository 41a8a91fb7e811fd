"""Uploading images: every bad input is rejected with a reason and leaves nothing behind."""

import hashlib
import io
import os

import pytest
from PIL import Image as PILImage

from tests.alweb.images.conftest import assert_nothing_stored, image_bytes, jpeg, png_with_header, stored_files

pytestmark = pytest.mark.django_db


def only_result(response, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert len(body["results"]) == 1
    return body["results"][0]


def test_jpeg_png_and_webp_are_stored_with_their_type_and_size(post_files, media):
    from alweb.images.models import Image

    response = post_files(
        ("a.jpg", jpeg()), ("b.png", image_bytes("PNG", seed=1)), ("c.webp", image_bytes("WEBP", seed=2))
    )
    assert response.status_code == 201, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] * 3
    assert [r["name"] for r in results] == ["a.jpg", "b.png", "c.webp"]
    images = {image.name: image for image in Image.objects.all()}
    assert [images[n].content_type for n in ("a.jpg", "b.png", "c.webp")] == ["image/jpeg", "image/png", "image/webp"]
    assert (images["a.jpg"].width, images["a.jpg"].height) == (48, 32)
    assert len(stored_files(media)) == 3


def test_original_pixels_are_kept_without_the_exif_when_no_rotation_is_needed(post_files, media):
    from alweb.images.models import Image

    data = jpeg(orientation=1)
    plain = jpeg()
    assert post_files(("a.jpg", data)).status_code == 201
    image = Image.objects.get()
    # The same encoder output without its EXIF segment: not re-encoded, only the metadata dropped.
    stored = stored_files(media)[0].read_bytes()
    assert stored == plain and len(stored) < len(data)
    assert image.sha256 == hashlib.sha256(stored).hexdigest()
    assert image.file.name == f"images/{image.project_id}/{image.sha256[:2]}/{image.sha256}.jpg"


def test_empty_file_is_rejected(post_files, media):
    result = only_result(post_files(("empty.jpg", b"")))
    assert result["status"] == "rejected" and "empty" in result["reason"]
    assert_nothing_stored(media)


def test_file_over_the_size_cap_is_rejected(post_files, media, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 300
    result = only_result(post_files(("big.jpg", jpeg(size=(200, 200)))))
    assert "limit of 300 bytes" in result["reason"]
    assert_nothing_stored(media)


@pytest.mark.parametrize(
    "name, data, looks_like",
    [
        ("page.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML"),
        ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        ("print.jpg", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "PostScript"),
        ("anim.jpg", image_bytes("GIF"), "GIF"),
        ("scan.png", image_bytes("TIFF"), "TIFF"),
        ("bitmap.webp", image_bytes("BMP"), "BMP"),
        ("notes.jpg", b"just some text", None),
    ],
)
def test_content_decides_the_format_not_the_name(post_files, media, name, data, looks_like):
    result = only_result(post_files((name, data)))
    assert result["status"] == "rejected"
    assert "not a JPEG, PNG or WebP image" in result["reason"]
    if looks_like:
        assert looks_like in result["reason"]
    assert_nothing_stored(media)


@pytest.mark.parametrize("keep", [0.5, 0.9, -2, -1])
def test_truncated_jpeg_is_rejected(post_files, media, keep):
    data = jpeg(size=(64, 64))
    cut = int(len(data) * keep) if keep > 0 else len(data) + keep
    result = only_result(post_files(("cut.jpg", data[:cut])))
    assert "damaged or incomplete" in result["reason"] or "header is damaged" in result["reason"]
    assert_nothing_stored(media)


def test_truncated_progressive_jpeg_is_rejected(post_files, media):
    out = io.BytesIO()
    PILImage.open(io.BytesIO(jpeg(size=(64, 64)))).save(out, "JPEG", progressive=True)
    result = only_result(post_files(("cut.jpg", out.getvalue()[:-40])))
    assert result["status"] == "rejected"
    assert_nothing_stored(media)


def test_png_with_a_bad_crc_is_rejected(post_files, media):
    data = bytearray(image_bytes("PNG"))
    iend = data.index(b"IEND")
    data[iend - 5] ^= 0xFF  # the IDAT chunk's CRC
    result = only_result(post_files(("crc.png", bytes(data))))
    assert "damaged or incomplete" in result["reason"]
    assert_nothing_stored(media)


def test_image_over_the_pixel_cap_is_rejected(post_files, media, settings):
    settings.UPLOAD_MAX_PIXELS = 1000
    result = only_result(post_files(("wide.jpg", jpeg(size=(50, 50)))))
    assert "50x50 = 2,500 pixels" in result["reason"] and "limit is 1,000" in result["reason"]
    assert_nothing_stored(media)


@pytest.mark.parametrize("side", [7_000, 20_000, 60_000])
def test_decompression_bomb_is_rejected_from_its_header(post_files, media, side):
    # The body would inflate to gigabytes; the header alone must be enough to refuse it.
    result = only_result(post_files(("bomb.png", png_with_header(side, side))))
    assert "pixels" in result["reason"] and "decompression bomb" in result["reason"]
    assert_nothing_stored(media)


@pytest.mark.parametrize("orientation, top, bottom", [(6, "red", "blue"), (8, "blue", "red")])
def test_exif_rotation_is_applied_and_the_upright_image_stored(post_files, media, orientation, top, bottom):
    from alweb.images.models import Image

    data = jpeg(size=(60, 40), orientation=orientation)
    assert post_files(("phone.jpg", data)).status_code == 201
    image = Image.objects.get()
    assert (image.width, image.height) == (40, 60)
    stored = stored_files(media)[0].read_bytes()
    assert image.sha256 == hashlib.sha256(stored).hexdigest() != hashlib.sha256(data).hexdigest()
    upright = PILImage.open(io.BytesIO(stored))
    assert upright.size == (40, 60)
    assert upright.getexif().get(0x0112, 1) == 1
    colors = {"red": (200, 30, 30), "blue": (30, 30, 220)}
    for (x, y), name in (((20, 5), top), ((20, 55), bottom)):
        assert all(abs(a - b) < 40 for a, b in zip(upright.getpixel((x, y)), colors[name]))


def test_duplicate_within_one_request_is_stored_once(post_files, media):
    from alweb.images.models import Image

    response = post_files(("a.jpg", jpeg()), ("copy-of-a.jpg", jpeg()))
    assert response.status_code == 201
    first, second = response.json()["results"]
    assert first["status"] == "created"
    assert second["status"] == "duplicate" and second["id"] == first["id"]
    assert "Same content as image" in second["reason"]
    assert Image.objects.count() == 1 and len(stored_files(media)) == 1


def test_duplicate_across_requests_reports_the_existing_image(post_files, media):
    from alweb.images.models import Image

    first = post_files(("a.jpg", jpeg())).json()["results"][0]
    response = post_files(("again.jpg", jpeg()))
    assert response.status_code == 201  # a duplicate is not an error: the content is in the project
    assert response.json()["results"][0] == {
        "name": "again.jpg",
        "status": "duplicate",
        "id": first["id"],
        "reason": f"Same content as image {first['id']} (a.jpg); not stored again.",
    }
    assert Image.objects.count() == 1 and len(stored_files(media)) == 1


def test_same_content_in_another_project_is_a_new_image(post_files, admin_client, media):
    project_id = admin_client.post("/api/v1/projects/", {"name": "Other", "preset": "lsp14"}, format="json").json()[
        "id"
    ]
    post_files(("a.jpg", jpeg()))
    response = admin_client.post(
        f"/api/v1/projects/{project_id}/images/", {"files": [io.BytesIO(jpeg())]}, format="multipart"
    )
    assert response.json()["results"][0]["status"] == "created"
    assert len(stored_files(media)) == 2


def test_mixed_request_keeps_the_valid_files(post_files, media):
    from alweb.images.models import Image

    response = post_files(("good.jpg", jpeg()), ("bad.jpg", b"<html>"), ("empty.png", b""))
    assert response.status_code == 201
    assert [r["status"] for r in response.json()["results"]] == ["created", "rejected", "rejected"]
    assert list(Image.objects.values_list("name", flat=True)) == ["good.jpg"]
    assert len(stored_files(media)) == 1


def test_too_many_files_rejects_the_whole_request(post_files, media, settings):
    settings.UPLOAD_MAX_FILES = 2
    response = post_files(*[(f"{i}.jpg", jpeg(seed=i)) for i in range(3)])
    assert response.status_code == 400
    assert "limit is 2" in response.json()["detail"]
    assert_nothing_stored(media)


def test_more_file_parts_than_the_server_parses_is_a_json_400(post_files, media, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = post_files(*[(f"{i}.jpg", jpeg(seed=i)) for i in range(3)])
    assert response.status_code == 400
    assert "more files than the upload limit" in response.json()["detail"]
    assert_nothing_stored(media)


def test_split_field_sets_the_split_and_is_validated(post_files, media):
    from alweb.images.models import Image

    assert post_files(("a.jpg", jpeg()), split="val").status_code == 201
    assert Image.objects.get().split == "val"
    response = post_files(("b.jpg", jpeg(seed=1)), split="holdout")
    assert response.status_code == 400 and "split" in response.json()
    assert Image.objects.count() == 1


def test_request_without_files_is_a_400(admin_client, images_url):
    response = admin_client.post(images_url, {"split": "pool"}, format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()


@pytest.fixture
def temp_files_seen(monkeypatch, settings):
    """The temporary upload files that exist while the service checks the files."""
    from alweb.images import services

    seen, real_ingest = [], services.images_ingest

    def spy(**kwargs):
        seen.extend(os.listdir(settings.FILE_UPLOAD_TEMP_DIR))
        return real_ingest(**kwargs)

    monkeypatch.setattr(services, "images_ingest", spy)
    return seen


def test_large_bodies_spool_to_temp_files_that_are_removed(post_files, temp_files_seen):
    assert post_files(("a.jpg", jpeg()), ("b.jpg", jpeg(seed=1))).status_code == 201
    assert len(temp_files_seen) == 2  # and the media fixture checks that both are gone


def test_small_bodies_are_parsed_in_memory(post_files, temp_files_seen, monkeypatch):
    from alweb.images import upload_handlers

    monkeypatch.setattr(upload_handlers, "IN_MEMORY_BODY_BYTES", 1_000_000)
    assert post_files(("a.jpg", jpeg()), ("b.jpg", jpeg(seed=1))).status_code == 201
    assert temp_files_seen == []


def test_broken_exif_does_not_reject_a_sound_image(post_files, media):
    from alweb.images.models import Image

    data = jpeg()
    app1 = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03" + b"\xff" * 30
    broken = data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]
    assert post_files(("odd-camera.jpg", broken)).status_code == 201
    assert (Image.objects.get().width, Image.objects.get().height) == (48, 32)
