"""Refuse a request body over its endpoint's limit before any of it is read into memory or parsed.

An ASGI middleware in front of Django: Django's ASGI handler reads the whole body before it
builds the request, so a limit checked in a view or a parser comes after the server has
received it all. The limit is the matched view's `max_request_bytes` (an int, or a function
returning one, so that it follows the settings), else API_MAX_BODY_BYTES. A declared
Content-Length over the limit is answered at once; a body without one (chunked) is counted
as it arrives, and the request is cut off as soon as it passes the limit.
"""

import json

from django.conf import settings
from django.urls import Resolver404, resolve

TOO_LARGE_STATUS = 413
MULTIPART_OVERHEAD_BYTES = 1024 * 1024  # part headers and boundaries, generously


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
        received, cut_off, started = 0, False, False

        async def counted_receive():
            nonlocal received, cut_off
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django's handler stops reading at a disconnect and answers nothing.
                    cut_off = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if cut_off and not started:
            await _send_too_large(send, limit)


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
