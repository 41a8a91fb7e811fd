"""Read zip archives among the uploads without trusting what their headers claim.

Each member is checked by name and header first (paths that escape, links,
encryption, declared size and ratio), then read through a reader that stops at the
per-file cap, so a lying header cannot make the server inflate more than that.
"""

import io
import itertools
import re
import stat
import struct
import zipfile
from pathlib import PurePosixPath

from django.conf import settings

from alweb.images.decoding import Rejected, size_check

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Images are already compressed; deflate cannot shrink a real one anywhere near this much.
MAX_COMPRESSION_RATIO = 100
ARCHIVE_SIGNATURES = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "RAR"),
)
LOCAL_HEADER_BYTES = 30
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# The End Of Central Directory record (and its zip64 forms) say how many entries the directory
# holds and how large it is; both are checked before zipfile parses the directory into objects.
EOCD = struct.Struct("<4s4H2LH")
EOCD_SIGNATURE = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
MAX_COMMENT_BYTES = 65535
# Room for folder entries beside the files, and for long names: per entry 46 bytes of header
# plus a name, an extra field and a comment.
ENTRIES_PER_FILE = 2
DIRECTORY_BYTES_PER_ENTRY = 1024


def is_zip(head: bytes) -> bool:
    return head[:4] in ZIP_SIGNATURES


def zip_open(stream) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open an archive and list its members, directories left out, or raise Rejected."""
    _directory_size_check(stream)
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except Exception as exc:
        raise Rejected(f"The file starts like a zip archive but is not a valid one: {exc}.") from None
    members = [info for info in infos if not _is_directory(info)]
    if not members:
        archive.close()
        raise Rejected("The archive holds no files.")
    if _overlapping(members):
        archive.close()
        raise Rejected("The archive's members overlap each other (a zip bomb pattern).")
    return archive, members


def member_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Return a member's bytes, read with a bounded reader, or raise Rejected."""
    _header_check(info)
    cap = settings.UPLOAD_MAX_FILE_BYTES
    try:
        with archive.open(info) as member:
            data = member.read(cap + 1)
    except Exception as exc:
        raise Rejected(f"The archive member cannot be read: {exc}.") from None
    size_check(len(data))
    if len(data) > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise Rejected(_ratio_reason())
    kind = archive_kind(data)
    if kind is not None:
        raise Rejected(f"Archives inside archives are not accepted (this member is a {kind} archive).")
    return data


def archive_kind(data: bytes) -> str | None:
    """Name the archive format the bytes start with (tar included), or None."""
    if data[257:262] == b"ustar":
        return "tar"
    return next((kind for magic, kind in ARCHIVE_SIGNATURES if data.startswith(magic)), None)


def _header_check(info: zipfile.ZipInfo) -> None:
    path = info.filename.replace("\\", "/")
    if path.startswith("/") or WINDOWS_DRIVE.match(path):
        raise Rejected("The member has an absolute path; only relative paths are accepted.")
    if ".." in PurePosixPath(path).parts:
        raise Rejected("The member's path contains '..'; paths may not leave the archive.")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise Rejected("The member is a symbolic link; only regular files are accepted.")
    if info.flag_bits & 0x1:
        raise Rejected("The member is encrypted.")
    if info.file_size > settings.UPLOAD_MAX_FILE_BYTES:
        raise Rejected(f"The member is larger than the limit of {settings.UPLOAD_MAX_FILE_BYTES:,} bytes per file.")
    if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise Rejected(_ratio_reason())


def _ratio_reason() -> str:
    return f"The member is compressed more than {MAX_COMPRESSION_RATIO}:1, which no real image is (zip bomb guard)."


def _is_directory(info: zipfile.ZipInfo) -> bool:
    return info.is_dir() or stat.S_ISDIR(info.external_attr >> 16)


def _overlapping(members: list[zipfile.ZipInfo]) -> bool:
    """Whether a member's data runs into the next one: many entries inflating the same bytes."""
    ordered = sorted(members, key=lambda info: info.header_offset)
    for current, following in itertools.pairwise(ordered):
        if current.header_offset + LOCAL_HEADER_BYTES + current.compress_size > following.header_offset:
            return True
    return False


def directory_limits() -> tuple[int, int]:
    """The most entries an archive's central directory may list, and its largest size in bytes."""
    entries = ENTRIES_PER_FILE * settings.UPLOAD_MAX_FILES
    return entries, entries * DIRECTORY_BYTES_PER_ENTRY


def _directory_size_check(stream) -> None:
    """Refuse an archive whose central directory lists too many entries or is too large, from its end record."""
    try:
        entries, directory_bytes = _declared_directory(stream)
    finally:
        stream.seek(0)
    max_entries, max_bytes = directory_limits()
    if entries > max_entries:
        raise Rejected(f"The archive lists {entries:,} entries; at most {max_entries:,} are accepted.")
    if directory_bytes > max_bytes:
        raise Rejected(f"The archive's directory is {directory_bytes:,} bytes; at most {max_bytes:,} are accepted.")


def _declared_directory(stream) -> tuple[int, int]:
    """(entries, directory bytes) as the End Of Central Directory record states them, zip64 included."""
    size = stream.seek(0, io.SEEK_END)
    tail_start = max(0, size - EOCD.size - MAX_COMMENT_BYTES)
    stream.seek(tail_start)
    tail = stream.read()
    position = tail.rfind(EOCD_SIGNATURE)
    if position < 0 or len(tail) - position < EOCD.size:
        raise Rejected(
            "The file starts like a zip archive but is not a valid one: it has no end of central directory record."
        )
    _, _, _, _, entries, directory_bytes, _, _ = EOCD.unpack_from(tail, position)
    if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return entries, directory_bytes
    return _zip64_directory(stream, locator_at=tail_start + position - ZIP64_LOCATOR.size)


def _zip64_directory(stream, *, locator_at: int) -> tuple[int, int]:
    bad = Rejected("The archive's zip64 end of central directory record is missing or damaged.")
    if locator_at < 0:
        raise bad
    stream.seek(locator_at)
    locator = stream.read(ZIP64_LOCATOR.size)
    if len(locator) < ZIP64_LOCATOR.size or not locator.startswith(ZIP64_LOCATOR_SIGNATURE):
        raise bad
    _, _, record_at, _ = ZIP64_LOCATOR.unpack(locator)
    stream.seek(record_at)
    record = stream.read(ZIP64_EOCD.size)
    if len(record) < ZIP64_EOCD.size or not record.startswith(ZIP64_EOCD_SIGNATURE):
        raise bad
    _, _, _, _, _, _, _, entries, directory_bytes, _ = ZIP64_EOCD.unpack(record)
    return entries, directory_bytes
