"""Download a project's export to a file, replacing it only once the download is complete."""

import os
import sys
import tempfile
from pathlib import Path

from alweb.client.api import ApiClient, project_not_found

CHUNK_BYTES = 1024 * 1024


def export_project(*, api: ApiClient, project_id: int, out: str | None, export_format: str = "coco") -> str:
    """Write the project's export to out ("-" for stdout, default: the server's file name); return where."""
    response = api.request(
        "GET", f"/api/v1/projects/{project_id}/export/", params={"format": export_format}, stream=True
    )
    with response:
        api.check(response, not_found=project_not_found(project_id))
        if out == "-":
            for chunk in response.iter_content(CHUNK_BYTES):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return "stdout"
        target = Path(out or _served_name(response) or f"project-{project_id}-{export_format}.json")
        _write_atomically(target, response.iter_content(CHUNK_BYTES))
    return str(target)


def _served_name(response) -> str:
    """The file name the server suggests, stripped of any folder so it lands in the current one."""
    name = response.headers.get("Content-Disposition", "").partition('filename="')[2].rstrip('"')
    return Path(name.replace("\\", "/")).name


def _write_atomically(target: Path, chunks) -> None:
    # A download cut short leaves the previous file (or none), never half a document.
    directory = target.resolve().parent
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
