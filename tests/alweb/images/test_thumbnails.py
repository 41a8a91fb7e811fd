"""Thumbnails: upright, bounded, made once and then served from storage, 304 on a known ETag, members only."""

import io

import pytest
from PIL import Image as PILImage

from tests.alweb.images.conftest import jpeg, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(post_files):
    """A 600x300 JPEG stored turned a quarter (EXIF 6): upright it is 300 wide and 600 high."""
    return post_files(("tall.jpg", jpeg(size=(600, 300), orientation=6))).json()["results"][0]


def thumbnail_url(image_id: int) -> str:
    return f"/api/v1/images/{image_id}/thumbnail"


def test_a_thumbnail_is_upright_bounded_and_stored_once(annotator_client, stored, media):
    from alweb.images.models import Image

    first = annotator_client.get(thumbnail_url(stored["id"]))
    assert first.status_code == 200 and first["Content-Type"] == "image/jpeg"
    assert "private" in first["Cache-Control"] and first["ETag"]
    assert PILImage.open(io.BytesIO(first.content)).size == (128, 256)
    assert len([path for path in stored_files(media) if "thumbnails" in path.parts]) == 1

    small = annotator_client.get(thumbnail_url(stored["id"]), {"size": 128})
    assert max(PILImage.open(io.BytesIO(small.content)).size) == 128

    # A second request reads the stored thumbnail: it no longer needs the image itself.
    (media / Image.objects.get(pk=stored["id"]).file.name).unlink()
    second = annotator_client.get(thumbnail_url(stored["id"]))
    assert second.status_code == 200 and second.content == first.content
    assert annotator_client.get(thumbnail_url(stored["id"]), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_sizes_outside_the_few_made_are_refused(annotator_client, stored):
    for size in ("100000", "0", "big", ""):
        response = annotator_client.get(thumbnail_url(stored["id"]), {"size": size})
        assert response.status_code == 400 and "size" in response.json(), size


def test_outsiders_get_404_and_a_missing_or_damaged_file_is_a_clear_404(
    outsider_client, annotator_client, stored, media
):
    assert outsider_client.get(thumbnail_url(stored["id"])).status_code == 404
    from alweb.images.models import Image

    image = Image.objects.get(pk=stored["id"])
    path = media / image.file.name
    path.write_bytes(b"\xff\xd8 not a jpeg any more")
    damaged = annotator_client.get(thumbnail_url(image.id))
    assert damaged.status_code == 404 and "damaged" in damaged.json()["detail"]
    path.unlink()
    missing = annotator_client.get(thumbnail_url(image.id))
    assert missing.status_code == 404 and "missing" in missing.json()["detail"]
