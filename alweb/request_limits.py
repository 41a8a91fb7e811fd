"""Refuse a request body over its endpoint's limit before any of it is read into memory or parsed.

An ASGI middleware in front of Django. The limit is the matched view's `max_request_bytes`
(an int, or a function returning one, so that it follows the settings), else
API_MAX_BODY_BYTES. A declared Content-Length over the limit is answered at once. A chunked
body is spooled as it arrives, in memory and then in a temporary file, and the request is cut
off as soon as it passes the limit; one within the limit goes on to Django with its length
declared, since Django's synchronous handler reads a body by its Content-Length.
"""

import json
import tempfile

from django.conf import settings
from django.urls import Resolver404, resolve

TOO_LARGE_STATUS = 413
MULTIPART_OVERHEAD_BYTES = 1024 * 1024  # part headers and boundaries, generously
# A chunked body this small stays in memory while it is spooled; a larger one goes to a file.
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
REPLAY_CHUNK_BYTES = 64 * 1024


def upload_body_bytes() -> int:
    """The largest body an upload may be: as many files as allowed, each as large as allowed."""
    return settings.UPLOAD_MAX_FILE_BYTES * settings.UPLOAD_MAX_FILES + MULTIPART_OVERHEAD_BYTES


def single_file_body_bytes() -> int:
    """The largest body of a request that carries one file."""
    return settings.UPLOAD_MAX_FILE_BYTES + MULTIPART_OVERHEAD_BYTES


def body_limit(path: str) -> int:
    """The body limit of the view that serves `path`, or the default one."""
    try:
        match = resolve(path)
    except Resolver404:
        return settings.API_MAX_BODY_BYTES
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    limit = getattr(view_class, "max_request_bytes", None)
    if limit is None:
        return settings.API_MAX_BODY_BYTES
    return limit() if callable(limit) else limit


def too_large_body(limit: int) -> bytes:
    detail = f"The request body is larger than this endpoint's limit of {limit:,} bytes."
    return json.dumps({"detail": detail, "code": "request_too_large"}).encode()


class BodyLimitMiddleware:
    """Answer 413 for an HTTP request whose body passes the limit of its route."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await _send_too_large(send, limit)
        if declared is not None or not _is_chunked(scope):
            # Under HTTP/1.1 a request with neither header has no body: nothing to spool.
            return await self.app(scope, receive, send)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spooled:
            size = await _spool(receive, spooled, limit)
            if size is None:
                return await _send_too_large(send, limit)
            spooled.seek(0)
            headers = [(name, value) for name, value in scope["headers"] if name != b"transfer-encoding"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}
            await self.app(scope, _replayed(spooled, receive), send)


async def _spool(receive, spooled, limit: int) -> int | None:
    """Write the body to `spooled`; its size, or None once it passes the limit or the client leaves."""
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        spooled.write(chunk)
        if not message.get("more_body", False):
            return size


def _replayed(spooled, receive):
    """A receive that hands out the spooled body, then whatever the client sends next (a disconnect)."""
    done = False

    async def replay():
        nonlocal done
        if done:
            return await receive()
        chunk = spooled.read(REPLAY_CHUNK_BYTES)
        done = len(chunk) < REPLAY_CHUNK_BYTES
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay


def _is_chunked(scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", ()))


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(send, limit: int) -> None:
    body = too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": TOO_LARGE_STATUS,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
