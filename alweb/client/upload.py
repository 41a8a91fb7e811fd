"""Upload a folder of images, sending only what the server does not hold yet."""

import contextlib
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from alweb.client.api import ApiClient, ClientError, project_not_found
from alweb.images.metadata import MetadataError, without_metadata

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
# Keeps one request's body (which requests builds in memory) well below the server's limits.
MAX_BATCH_BYTES = 64 * 1024 * 1024
PAGE_SIZE = 1000
# Answers that no retry or other batch can fix: stop the whole upload.
FATAL_STATUSES = {401, 403, 404}


@dataclass
class UploadSummary:
    found: int = 0
    already_there: int = 0
    created: int = 0
    duplicate: int = 0
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed


def find_images(root: Path) -> list[Path]:
    """Every JPEG, PNG and WebP file under root, in a stable order."""
    found = []
    for folder, _, names in os.walk(root):
        found.extend(Path(folder) / name for name in names if Path(name).suffix.lower() in IMAGE_EXTENSIONS)
    return sorted(found)


def sha256_of(path: Path) -> str:
    """The content hash the server gives the file: it stores images without their metadata."""
    data = path.read_bytes()
    with contextlib.suppress(MetadataError):
        data = without_metadata(data)
    return hashlib.sha256(data).hexdigest()


def server_hashes(*, api: ApiClient, project_id: int) -> set[str]:
    """The content hashes of every image the project already holds."""
    images = api.iter_results(
        f"/api/v1/projects/{project_id}/images/",
        not_found=project_not_found(project_id),
        params={"page_size": PAGE_SIZE},
    )
    return {image["sha256"] for image in images}


def batches(paths: list[Path], *, size: int, max_bytes: int = MAX_BATCH_BYTES) -> list[list[Path]]:
    """Split paths into batches of at most size files and about max_bytes."""
    result, batch, batch_bytes = [], [], 0
    for path in paths:
        path_bytes = path.stat().st_size
        if batch and (len(batch) == size or batch_bytes + path_bytes > max_bytes):
            result.append(batch)
            batch, batch_bytes = [], 0
        batch.append(path)
        batch_bytes += path_bytes
    if batch:
        result.append(batch)
    return result


def upload_folder(
    *, api: ApiClient, project_id: int, root: Path, batch_size: int = 32, workers: int = 4, progress: bool | None = None
) -> UploadSummary:
    """Upload the images under root that the project lacks; a rerun after an interruption sends the rest.

    progress None shows the bars only when stderr is a terminal.
    """
    hide_bars = None if progress is None else not progress
    paths = find_images(root)
    summary = UploadSummary(found=len(paths))
    known = server_hashes(api=api, project_id=project_id)
    hashes = {path: sha256_of(path) for path in tqdm(paths, desc="checking", unit="file", disable=hide_bars)}
    pending = [path for path in paths if hashes[path] not in known]
    summary.already_there = len(paths) - len(pending)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        with tqdm(total=len(pending), desc="uploading", unit="file", disable=hide_bars) as bar:
            futures = {
                pool.submit(_send, api=api, project_id=project_id, batch=batch): batch
                for batch in batches(pending, size=batch_size)
            }
            for future in as_completed(futures):
                _record(summary, future.result())
                bar.update(len(futures[future]))
    finally:
        # On Ctrl-C, batches not yet sent are dropped; the next run sends them.
        pool.shutdown(wait=True, cancel_futures=True)
    return summary


def _send(*, api: ApiClient, project_id: int, batch: list[Path]) -> list[tuple[Path, str, str]]:
    """Upload one batch; return (path, status, reason) for each of its files."""
    try:
        response = api.post_files(
            f"/api/v1/projects/{project_id}/images/", field="files", files=[(path.name, path) for path in batch]
        )
    except ClientError as error:
        return [(path, "failed", str(error)) for path in batch]
    if response.status_code in FATAL_STATUSES:
        api.check(response, not_found=project_not_found(project_id))
    results = _results_of(response)
    if results is None:
        try:
            api.check(response, not_found=project_not_found(project_id))
            reason = f"The server answered {response.status_code} without a per-file report."
        except ClientError as error:
            reason = str(error)
        return [(path, "failed", reason) for path in batch]
    return _match(batch, results)


def _results_of(response) -> list[dict] | None:
    if response.status_code not in (200, 201, 400):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    results = body.get("results") if isinstance(body, dict) else None
    return results if isinstance(results, list) else None


def _match(batch: list[Path], results: list[dict]) -> list[tuple[Path, str, str]]:
    """Pair the server's per-file report with the files sent, by position when it answers for each file."""
    if len(results) == len(batch):
        pairs = list(zip(batch, results))
    else:
        unclaimed = {}
        for path in batch:
            unclaimed.setdefault(path.name, []).append(path)
        pairs = [(unclaimed[r.get("name")].pop(0), r) for r in results if unclaimed.get(r.get("name"))]
        answered = {path for path, _ in pairs}
        pairs += [
            (path, {"status": "failed", "reason": "The server did not report on this file."})
            for path in batch
            if path not in answered
        ]
    return [(path, result.get("status", "failed"), result.get("reason") or "") for path, result in pairs]


def _record(summary: UploadSummary, outcomes: list[tuple[Path, str, str]]) -> None:
    for path, status, reason in outcomes:
        if status == "created":
            summary.created += 1
        elif status == "duplicate":
            summary.duplicate += 1
        elif status == "rejected":
            summary.rejected.append((path, reason))
        else:
            summary.failed.append((path, reason or "The upload failed."))
