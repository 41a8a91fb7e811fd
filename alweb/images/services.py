"""Everything that writes images: checked, deduplicated, stored by content, rows created atomically."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from alweb.errors import Refused
from alweb.images.archives import archive_kind, is_zip, member_read, zip_open
from alweb.images.boxes import validate_boxes
from alweb.images.decoding import DecodedImage, Rejected, decode_upload, size_check
from alweb.images.models import Image
from alweb.projects.models import Project

CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"
# Checked images wait in memory until this many bytes, then go to storage in one batch
# with one duplicate query: bounds a request's memory use without a query per file.
FLUSH_BYTES = 64 * 1024 * 1024


@dataclass
class IngestResult:
    """The outcome for one file (or archive member), reported under the name it was sent with."""

    name: str
    status: str  # CREATED | DUPLICATE | REJECTED
    id: int | None = None  # the new image, or the existing one with the same content
    reason: str | None = None
    image: Image | None = None


class TooManyFiles(Refused):
    """More files (archive members included) than one request may hold."""


@dataclass
class _Entry:
    name: str
    read: Callable[[], bytes]


def images_ingest(
    *,
    project: Project,
    files: Iterable[tuple[str, BinaryIO]],
    split: str = Image.Split.POOL,
    from_archive: bool = False,
) -> list[IngestResult]:
    """Check and store uploaded images; return one result per file, zip members expanded.

    `files` are (name, seekable binary stream) pairs. A zip among them is expanded and
    its members reported by their path inside it, unless `from_archive` says the files
    are themselves archive members (then a zip is a nested archive and is rejected).
    Raises TooManyFiles, storing nothing, when the files and members exceed the cap.
    The rows commit together; if anything fails, the files written are deleted again.
    """
    archives = []
    written: list[str] = []
    try:
        entries = _entries(files=files, archives=archives, from_archive=from_archive)
        if len(entries) > settings.UPLOAD_MAX_FILES:
            raise TooManyFiles(
                f"The request holds {len(entries):,} files (archive members included); "
                f"the limit is {settings.UPLOAD_MAX_FILES:,}. Nothing was stored."
            )
        return _ingest(project=project, split=split, entries=entries, written=written)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    finally:
        for archive in archives:
            archive.close()


@transaction.atomic
def image_split_set(*, image: Image, split: str) -> Image:
    """Move the image to the pool, the training set or the validation set."""
    image.split = split
    image.save(update_fields=["split"])
    return image


@transaction.atomic
def image_boxes_set(*, image: Image, boxes: list) -> Image:
    """Give a pool image its person boxes (e.g. a detector's); the next scoring crops around each.

    Boxes are clipped to the image; [] goes back to one instance covering the whole image.
    """
    image.boxes = validate_boxes(boxes, width=image.width, height=image.height)
    image.save(update_fields=["boxes"])
    return image


def _entries(*, files, archives: list, from_archive: bool) -> list[_Entry | IngestResult]:
    """List what to check, one entry per file or zip member; an unreadable zip is a result already."""
    entries: list[_Entry | IngestResult] = []
    for name, stream in files:
        head = stream.read(4)
        stream.seek(0)
        if not is_zip(head):
            entries.append(_Entry(name=name, read=partial(_read_stream, stream, nested=from_archive)))
        elif from_archive:
            entries.append(_rejected(name, "Archives inside archives are not accepted (this file is a zip archive)."))
        else:
            try:
                archive, members = zip_open(stream)
            except Rejected as exc:
                entries.append(_rejected(name, exc.reason))
                continue
            archives.append(archive)
            entries.extend(_Entry(name=info.filename, read=partial(member_read, archive, info)) for info in members)
    return entries


def _read_stream(stream: BinaryIO, *, nested: bool) -> bytes:
    """Read a stream up to one byte past the cap, so that an oversized file is never read in full."""
    declared = getattr(stream, "size", None)
    if declared is not None:
        size_check(declared)
    data = stream.read(settings.UPLOAD_MAX_FILE_BYTES + 1)
    size_check(len(data))
    kind = archive_kind(data) if nested else None
    if kind is not None:
        raise Rejected(f"Archives inside archives are not accepted (this file is a {kind} archive).")
    return data


def _ingest(*, project: Project, split: str, entries: list, written: list[str]) -> list[IngestResult]:
    results: list[IngestResult] = []
    first_with: dict[str, IngestResult] = {}  # sha256 -> the request's first file with that content
    repeats: list[tuple[IngestResult, IngestResult]] = []
    pending: list[tuple[IngestResult, DecodedImage]] = []
    pending_bytes = 0
    new: list[IngestResult] = []
    for entry in entries:
        if isinstance(entry, IngestResult):
            results.append(entry)
            continue
        try:
            decoded = decode_upload(entry.read())
        except Rejected as exc:
            results.append(_rejected(entry.name, exc.reason))
            continue
        result = IngestResult(name=entry.name, status=CREATED)
        results.append(result)
        first = first_with.setdefault(decoded.sha256, result)
        if first is not result:
            repeats.append((result, first))
            continue
        pending.append((result, decoded))
        pending_bytes += len(decoded.data)
        if pending_bytes > FLUSH_BYTES:
            new += _store(project=project, split=split, pending=pending, written=written)
            pending, pending_bytes = [], 0
    new += _store(project=project, split=split, pending=pending, written=written)
    with transaction.atomic():
        _insert(new)
    for result, first in repeats:
        result.status, result.image = DUPLICATE, first.image
    for result in results:
        _describe(result)
    return results


def _store(*, project: Project, split: str, pending: list, written: list[str]) -> list[IngestResult]:
    """Write the files whose content the project lacks; mark the others as duplicates."""
    shas = [decoded.sha256 for _, decoded in pending]
    existing = {image.sha256: image for image in Image.objects.filter(project=project, sha256__in=shas)} if shas else {}
    new = []
    for result, decoded in pending:
        if decoded.sha256 in existing:
            result.status, result.image = DUPLICATE, existing[decoded.sha256]
            continue
        name = default_storage.save(_storage_name(project=project, decoded=decoded), ContentFile(decoded.data))
        written.append(name)
        result.image = Image(
            project=project,
            name=result.name[:255],
            file=name,
            sha256=decoded.sha256,
            content_type=decoded.content_type,
            width=decoded.width,
            height=decoded.height,
            split=split,
        )
        new.append(result)
    return new


def _insert(new: list[IngestResult]) -> None:
    """Create the rows in one statement; row by row if another request stored the same content meanwhile."""
    try:
        with transaction.atomic():
            Image.objects.bulk_create([result.image for result in new])
    except IntegrityError:
        for result in new:
            result.image.pk = None
            _insert_one(result)


def _insert_one(result: IngestResult) -> None:
    image = result.image
    try:
        with transaction.atomic():
            image.save(force_insert=True)
    except IntegrityError:
        existing = Image.objects.filter(project_id=image.project_id, sha256=image.sha256).first()
        if existing is None:
            raise
        # Our copy has a name of its own (storage never overwrites), so deleting it is safe, unless the name is
        # the existing image's: an object store checks that a name is free and writes it in two requests, so
        # two uploads of the same content at the same moment can both have written the one object.
        if image.file.name != existing.file.name:
            default_storage.delete(image.file.name)
        result.status, result.image = DUPLICATE, existing


def _describe(result: IngestResult) -> None:
    if result.image is None:
        return
    result.id = result.image.pk
    if result.status == DUPLICATE:
        result.reason = f"Same content as image {result.image.pk} ({result.image.name}); not stored again."


def _storage_name(*, project: Project, decoded: DecodedImage) -> str:
    return f"images/{project.pk}/{decoded.sha256[:2]}/{decoded.sha256}.{decoded.extension}"


def _rejected(name: str, reason: str) -> IngestResult:
    return IngestResult(name=name, status=REJECTED, reason=reason)
