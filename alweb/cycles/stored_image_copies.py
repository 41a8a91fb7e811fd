"""A machine's own copies of stored images, for the processes that read them through an object store.

Every cycle scores the whole unlabelled pool again, and training reads every labelled image once an
epoch: through an object store each read is a request, whose client and server cost more CPU than
decoding the image (bench/cycle.py --storage s3). An image's stored name holds the sha256 of its bytes
(images/<project>/<xx>/<sha256>.<ext>, alweb.images.services), so a copy stays valid as long as the
name exists. Copies are kept under ML_WORK_DIR (one folder a machine), checked against the name on the
way in, and the least recently read go when they outgrow STORED_IMAGE_COPIES_BYTES. The bucket stays
the only home of every file: the folder may be deleted at any time, and with local storage, or
STORED_IMAGE_COPIES_BYTES = 0, nothing is copied.
"""

import hashlib
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

# The names alweb.images.services gives images: only these are known to name their content.
_IMAGE_NAME = re.compile(r"images/\d+/[0-9a-f]{2}/(?P<sha256>[0-9a-f]{64})\.(?P<extension>[a-z0-9]{1,5})")
# Eviction leaves this share of the limit, so that it does not run again at the next copy.
_AFTER_EVICTION = 0.8

_lock = threading.Lock()
_copied_bytes: dict[Path, int] = {}  # folder -> bytes in it, counted at its first copy in this process


def stored_image_bytes(name: str) -> bytes:
    """The stored file's bytes: this machine's copy when it has one, else read from storage (and copied)."""
    match = _IMAGE_NAME.fullmatch(name)
    limit = settings.STORED_IMAGE_COPIES_BYTES
    if match is None or limit <= 0 or isinstance(default_storage, FileSystemStorage):
        return _read_stored(name)
    folder = copies_folder()
    path = folder / match["sha256"][:2] / f"{match['sha256']}.{match['extension']}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = _read_stored(name)
        if hashlib.sha256(data).hexdigest() == match["sha256"]:
            _copy_keep(folder, path, data, limit)
        return data
    _mark_read(path)
    return data


def _mark_read(path: Path) -> None:
    """The copy's modification time is when it was last read: eviction takes the oldest first. Set from
    the precise clock: the file system's own may tick in milliseconds, and reads come faster."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def copies_folder() -> Path:
    return Path(settings.ML_WORK_DIR) / "stored-images"


def _read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def _copy_keep(folder: Path, path: Path, data: bytes, limit: int) -> None:
    """Write the copy whole or not at all (a reader never sees part of one), then keep the folder under limit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(partial, path)
        _mark_read(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    with _lock:
        total = _copied_bytes.get(folder)
        total = _folder_bytes(folder) if total is None else total + len(data)
        if total > limit:
            total = _evict(folder, keep=int(_AFTER_EVICTION * limit))
        _copied_bytes[folder] = total


def _copies(folder: Path) -> list[os.DirEntry]:
    return [
        entry
        for shard in os.scandir(folder)
        if shard.is_dir()
        for entry in os.scandir(shard.path)
        if entry.is_file() and not entry.name.startswith(".partial-")
    ]


def _folder_bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in _copies(folder))


def _evict(folder: Path, *, keep: int) -> int:
    """Delete the least recently read copies until at most `keep` bytes remain; the bytes that do.

    Other processes of the machine share the folder: a copy one of them deletes meanwhile is skipped.
    """
    copies = []
    for entry in _copies(folder):
        try:
            stat = entry.stat()
        except FileNotFoundError:
            continue
        copies.append((stat.st_mtime, stat.st_size, entry.path))
    copies.sort()
    total = sum(size for _, size, _ in copies)
    for _, size, path in copies:
        if total <= keep:
            break
        Path(path).unlink(missing_ok=True)
        total -= size
    return total
