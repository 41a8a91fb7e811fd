"""Bodies over their endpoint's limit are refused with 413 before they are read: in process through the
ASGI application, and over a real uvicorn server."""

import asyncio
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live_processes import WebServerProcess

MiB = 1024 * 1024


def asgi_request(path: str, *, chunks: list[bytes], content_length: int | None, method: str = "POST") -> dict:
    """Send a request through the ASGI application in process; return its status, body and how much was read."""
    from alweb.asgi import application

    headers = [(b"content-type", b"application/json"), (b"host", b"testserver")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    else:
        headers.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    pending = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    answer = {"status": None, "body": b"", "chunks_read": 0}

    async def receive():
        if pending:
            answer["chunks_read"] += 1
            return pending.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the answer comes

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    # A thread of its own with a fresh event loop: an earlier test may leave a loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, application(scope, receive, send)).result()
    return answer


def test_a_declared_length_over_the_limit_is_refused_unread():
    answer = asgi_request("/api/v1/auth/token/", chunks=[b"{" * MiB] * 15, content_length=15 * MiB)
    assert answer["status"] == 413
    assert answer["chunks_read"] == 0
    body = json.loads(answer["body"])
    assert body["code"] == "request_too_large"
    assert "1,048,576 bytes" in body["detail"]


def test_a_chunked_body_is_cut_off_as_it_passes_the_limit():
    answer = asgi_request("/api/v1/projects/", chunks=[b" " * (256 * 1024)] * 60, content_length=None)
    assert answer["status"] == 413
    assert answer["chunks_read"] == 5  # the fifth chunk passed 1 MiB; the other 55 were never read
    assert json.loads(answer["body"])["code"] == "request_too_large"


def test_a_chunked_body_within_the_limit_reaches_the_view_whole(transactional_db, make_user):
    make_user("ada")
    document = json.dumps({"username": "ada", "password": "pw-for-tests"}).encode()
    answer = asgi_request(
        "/api/v1/auth/token/", chunks=[document[:7], document[7:30], document[30:]], content_length=None
    )
    assert answer["status"] == 200, answer["body"]
    assert len(json.loads(answer["body"])["token"]) == 40


def test_unknown_paths_have_the_default_limit_too():
    answer = asgi_request("/api/v1/nowhere/", chunks=[b""], content_length=MiB + 1)
    assert answer["status"] == 413


@pytest.mark.django_db
def test_a_body_within_the_limit_goes_through():
    answer = asgi_request("/api/v1/projects/", chunks=[b'{"name": "x"}'], content_length=13)
    assert answer["status"] == 401  # anonymous: Django answered, the body was not refused


def test_each_route_has_its_own_limit(settings):
    from alweb.request_limits import body_limit

    settings.UPLOAD_MAX_FILE_BYTES, settings.UPLOAD_MAX_FILES = 10 * MiB, 20
    settings.COCO_IMPORT_MAX_BYTES = 50 * MiB
    assert body_limit("/api/v1/auth/token/") == settings.API_MAX_BODY_BYTES == MiB
    assert body_limit("/api/v1/projects/7/images/") == 200 * MiB + MiB
    assert body_limit("/api/v1/projects/7/predict/") == 10 * MiB + MiB
    assert body_limit("/api/v1/projects/7/import/") == 50 * MiB + 200 * MiB + MiB
    assert body_limit("/accounts/login/") == MiB


@pytest.fixture
def plain_server(transactional_db, tmp_path):
    server = WebServerProcess(tmp_path)
    server.start()
    yield server
    server.kill()


def raw_post(port: int, path: str, *, headers: str, body: bytes) -> tuple[int, dict]:
    """POST over a socket, sending only the first part of a large body, and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            piece = connection.recv(65536)
            if not piece:
                break
            answer += piece
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload)


@pytest.mark.live
@pytest.mark.parametrize("auth", ["", "Authorization: Token 0123456789abcdef0123456789abcdef01234567\r\n"])
def test_uvicorn_refuses_a_15_mib_token_request_before_reading_it(plain_server, auth):
    headers = f"Content-Type: application/json\r\nContent-Length: {15 * MiB}\r\n{auth}"
    status, body = raw_post(plain_server.port, "/api/v1/auth/token/", headers=headers, body=b'{"username": "')
    assert status == 413
    assert body["code"] == "request_too_large"


@pytest.mark.live
def test_uvicorn_cuts_off_a_chunked_body_over_the_limit(plain_server):
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20))  # 1.25 MiB, never terminated
    headers = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    status, answer = raw_post(plain_server.port, "/api/v1/projects/", headers=headers, body=body)
    assert status == 413
    assert answer["code"] == "request_too_large"
