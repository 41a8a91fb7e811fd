"""Zip archives: members are checked one by one and reported by their path inside the archive."""

import io
import struct
import zipfile

import pytest

from tests.alweb.images.conftest import assert_nothing_stored, jpeg, stored_files, symlink_zip, zip_bytes

pytestmark = pytest.mark.django_db


def results_of(response, status):
    assert response.status_code == status, response.content
    return {r["name"]: r for r in response.json()["results"]}


def test_members_are_expanded_and_directories_skipped(post_files, media):
    from alweb.images.models import Image

    archive = zip_bytes([("run/", None), ("run/a.jpg", jpeg(seed=1)), ("run/deep/b.jpg", jpeg(seed=2))])
    results = results_of(post_files(("batch.zip", archive), ("c.jpg", jpeg(seed=3))), 201)
    assert list(results) == ["run/a.jpg", "run/deep/b.jpg", "c.jpg"]
    assert {r["status"] for r in results.values()} == {"created"}
    assert sorted(Image.objects.values_list("name", flat=True)) == ["c.jpg", "run/a.jpg", "run/deep/b.jpg"]
    assert len(stored_files(media)) == 3


def test_uncompressed_zip_is_expanded_too(post_files):
    archive = zip_bytes([("a.jpg", jpeg())], compression=zipfile.ZIP_STORED)
    assert results_of(post_files(("stored.zip", archive)), 201)["a.jpg"]["status"] == "created"


@pytest.mark.parametrize(
    "member, words",
    [
        ("../escape.jpg", "'..'"),
        ("run/../../escape.jpg", "'..'"),
        ("..\\escape.jpg", "'..'"),
        ("/etc/passwd.jpg", "absolute path"),
        ("C:\\Windows\\x.jpg", "absolute path"),
    ],
)
def test_members_that_leave_the_archive_are_rejected(post_files, media, member, words):
    results = results_of(post_files(("evil.zip", zip_bytes([(member, jpeg())]))), 400)
    assert words in results[member]["reason"]
    assert_nothing_stored(media)


def test_symlink_member_is_rejected(post_files, media):
    results = results_of(post_files(("links.zip", symlink_zip("passwd.jpg", "/etc/passwd"))), 400)
    assert "symbolic link" in results["passwd.jpg"]["reason"]
    assert_nothing_stored(media)


# Named: a generated archive holds the time it was made, and every xdist worker must collect the same ids.
@pytest.mark.parametrize(
    "inner", [zip_bytes([("a.jpg", jpeg())]), b"\x1f\x8b\x08\x00" + b"\x00" * 100], ids=["zip", "gzip"]
)
def test_nested_archive_is_rejected(post_files, media, inner):
    results = results_of(post_files(("outer.zip", zip_bytes([("inner.jpg", inner)]))), 400)
    assert "Archives inside archives" in results["inner.jpg"]["reason"]
    assert_nothing_stored(media)


def test_high_compression_ratio_is_rejected(post_files, media):
    results = results_of(post_files(("bomb.zip", zip_bytes([("zeros.jpg", b"\x00" * 2_000_000)]))), 400)
    assert "compressed more than 100:1" in results["zeros.jpg"]["reason"]
    assert_nothing_stored(media)


def test_member_whose_header_understates_its_size_is_rejected(post_files, media):
    # The headers claim 1,000 bytes; inflating stops there and the checksum exposes the lie.
    archive = bytearray(zip_bytes([("liar.jpg", jpeg(size=(64, 64)) + b"\x00" * 200_000)]))
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.index(signature) + size_offset
        archive[at : at + 4] = struct.pack("<I", 1000)
    results = results_of(post_files(("liar.zip", bytes(archive))), 400)
    assert "cannot be read" in results["liar.jpg"]["reason"]
    assert_nothing_stored(media)


def test_member_over_the_size_cap_is_rejected(post_files, media, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 500
    results = results_of(post_files(("big.zip", zip_bytes([("big.jpg", jpeg(size=(128, 128)))]))), 400)
    assert "limit of 500 bytes" in results["big.jpg"]["reason"]
    assert_nothing_stored(media)


def test_overlapping_members_reject_the_archive(post_files, media):
    archive = bytearray(zip_bytes([("a.jpg", jpeg(seed=1)), ("b.jpg", jpeg(seed=2))]))
    second_entry = archive.index(b"PK\x01\x02", archive.index(b"PK\x01\x02") + 1)
    archive[second_entry + 42 : second_entry + 46] = struct.pack("<I", 0)  # b's data "starts" at a's
    results = results_of(post_files(("overlap.zip", bytes(archive))), 400)
    assert "overlap" in results["overlap.zip"]["reason"]
    assert_nothing_stored(media)


def test_huge_member_count_rejects_the_whole_request(post_files, media, settings):
    settings.UPLOAD_MAX_FILES = 5
    archive = zip_bytes([(f"{i}.jpg", jpeg(seed=i)) for i in range(5)])
    response = post_files(("many.zip", archive), ("one-more.jpg", jpeg(seed=99)))
    assert response.status_code == 400
    assert "6 files (archive members included)" in response.json()["detail"]
    assert_nothing_stored(media)


def test_partly_bad_archive_keeps_the_good_members(post_files, media):
    from alweb.images.models import Image

    archive = zip_bytes(
        [
            ("good.jpg", jpeg(seed=1)),
            ("../bad.jpg", jpeg(seed=2)),
            ("page.jpg", b"<html></html>"),
            ("again.jpg", jpeg(seed=1)),
            ("empty.png", b""),
        ]
    )
    results = results_of(post_files(("mixed.zip", archive)), 201)
    assert {name: r["status"] for name, r in results.items()} == {
        "good.jpg": "created",
        "../bad.jpg": "rejected",
        "page.jpg": "rejected",
        "again.jpg": "duplicate",
        "empty.png": "rejected",
    }
    assert results["again.jpg"]["id"] == results["good.jpg"]["id"]
    assert list(Image.objects.values_list("name", flat=True)) == ["good.jpg"]
    assert len(stored_files(media)) == 1


@pytest.mark.parametrize(
    "data, words",
    [
        (b"PK\x03\x04" + b"not really a zip" * 10, "not a valid one"),
        (zip_bytes([]), "holds no files"),
        (zip_bytes([("only/", None), ("dirs/", None)]), "holds no files"),
    ],
    ids=["not-a-zip", "empty", "only-folders"],  # named: generated archives hold the time they were made
)
def test_broken_or_empty_zip_is_rejected(post_files, media, data, words):
    results = results_of(post_files(("broken.zip", data)), 400)
    assert words in results["broken.zip"]["reason"]
    assert_nothing_stored(media)


def test_encrypted_member_is_rejected(post_files, media):
    archive = bytearray(zip_bytes([("secret.jpg", jpeg())]))
    for signature, flags_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        archive[archive.index(signature) + flags_offset] |= 0x1
    results = results_of(post_files(("secret.zip", bytes(archive))), 400)
    assert "encrypted" in results["secret.jpg"]["reason"]
    assert_nothing_stored(media)


def test_zip_given_as_an_archive_member_is_nested(project, media):
    from alweb.images.services import images_ingest

    results = images_ingest(
        project=project, files=[("inner.zip", io.BytesIO(zip_bytes([("a.jpg", jpeg())])))], from_archive=True
    )
    assert results[0].status == "rejected" and "Archives inside archives" in results[0].reason
    assert_nothing_stored(media)


def with_end_record(archive: bytes, *, entries: int, directory_bytes: int, zip64: bool = False) -> bytes:
    """The archive with its End Of Central Directory record claiming other counts (in a zip64 record if asked)."""
    eocd = struct.Struct("<4s4H2LH")
    at = archive.rindex(b"PK\x05\x06")
    fields = list(eocd.unpack_from(archive, at))
    if not zip64:
        fields[4] = fields[3] = min(entries, 0xFFFF)
        fields[5] = directory_bytes
        return archive[:at] + eocd.pack(*fields) + archive[at + eocd.size :]
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, directory_bytes, fields[6])
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    fields[3] = fields[4] = 0xFFFF
    fields[5] = fields[6] = 0xFFFFFFFF
    return archive[:at] + record + locator + eocd.pack(*fields) + archive[at + eocd.size :]


@pytest.mark.parametrize("zip64", [False, True])
def test_end_record_listing_too_many_entries_is_refused_before_parsing(post_files, media, settings, monkeypatch, zip64):
    settings.UPLOAD_MAX_FILES = 10
    archive = zip_bytes([("a.jpg", jpeg())])
    monkeypatch.setattr(zipfile, "ZipFile", lambda *args, **kwargs: pytest.fail("the directory was parsed"))
    claimed = 2**40 if zip64 else 21
    response = post_files(("many.zip", with_end_record(archive, entries=claimed, directory_bytes=100, zip64=zip64)))
    reason = results_of(response, 400)["many.zip"]["reason"]
    assert f"lists {claimed:,} entries; at most 20" in reason
    assert_nothing_stored(media)


@pytest.mark.parametrize("zip64", [False, True])
def test_end_record_with_a_huge_directory_is_refused_before_parsing(post_files, media, settings, monkeypatch, zip64):
    settings.UPLOAD_MAX_FILES = 10
    archive = zip_bytes([("a.jpg", jpeg())])
    monkeypatch.setattr(zipfile, "ZipFile", lambda *args, **kwargs: pytest.fail("the directory was parsed"))
    huge = 3 * 2**30
    response = post_files(("big.zip", with_end_record(archive, entries=1, directory_bytes=huge, zip64=zip64)))
    assert f"directory is {huge:,} bytes; at most 20,480" in results_of(response, 400)["big.zip"]["reason"]
    assert_nothing_stored(media)


def test_zip64_archive_within_the_limits_is_read(post_files):
    archive = zip_bytes([("a.jpg", jpeg())])
    at = archive.rindex(b"PK\x05\x06")
    entries, directory_bytes = struct.unpack_from("<HL", archive, at + 10)
    archive = with_end_record(archive, entries=entries, directory_bytes=directory_bytes, zip64=True)
    assert results_of(post_files(("z64.zip", archive)), 201)["a.jpg"]["status"] == "created"
