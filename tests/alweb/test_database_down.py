"""With the database unreachable, the API answers 503 with a JSON error instead of a crash page."""

import os
import sys
import urllib.error
import urllib.request

import pytest

from tests.live_processes import ManagedProcess, free_port, wait_for

pytestmark = pytest.mark.live  # starts its own web server, on a database that is not there

UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:9/alweb"  # the discard port: nothing listens


def test_api_requests_get_503_json_when_the_database_is_down(tmp_path):
    port = free_port()
    server = ManagedProcess(tmp_path, "web")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alweb.settings.test",
        "DATABASE_URL": UNREACHABLE_DATABASE,
        "DATABASE_CONN_MAX_AGE": "0",
    }
    server.spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "alweb.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env,
    )
    try:
        wait_for(lambda: _status(f"http://127.0.0.1:{port}/accounts/login/") == 200, timeout=60, worker=server)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/projects/", headers={"Authorization": "Token 0123456789abcdef"}
        )
        try:
            urllib.request.urlopen(request, timeout=30)
            raise AssertionError("the request should have failed")
        except urllib.error.HTTPError as error:
            assert error.code == 503
            assert error.headers["Content-Type"] == "application/json"
            assert b"database is unavailable" in error.read()
    finally:
        server.kill()


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except (urllib.error.URLError, OSError):
        return None
