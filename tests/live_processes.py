"""Real processes for tests: a Celery worker and an ASGI web server on the test database.

They import alweb.settings.test like the tests do, with the test database, media folder and
broker passed down, so they see exactly what the test writes.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from alweb.devserver import WORKER_COMMAND


def database_url() -> str:
    """The URL of the test database (after pytest-django created it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alweb.settings.test",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "ML_WORK_DIR": str(settings.ML_WORK_DIR),
        "OMP_NUM_THREADS": "1",
        **extra,
    }


def wait_for(predicate, *, timeout: float, interval: float = 0.3, worker=None):
    """Poll until predicate() is truthy; fail with the worker's log when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    log = worker.log_tail() if worker else ""
    pytest.fail(f"timed out after {timeout}s\n{log}")


class ManagedProcess:
    """A child process in its own process group, whose whole group can be signalled."""

    def __init__(self, log_dir: Path, name: str):
        self.log_dir, self.name = Path(log_dir), name
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def spawn(self, command: list[str], env: dict[str, str]) -> None:
        self.starts += 1
        # The child keeps its own copy of the log's descriptor; ours can close at once.
        with open(self.log_dir / f"{self.name}-{self.starts}.log", "w") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process group (main process and children), then reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def log_tail(self) -> str:
        logs = sorted(self.log_dir.glob(f"{self.name}-*.log"))
        return "\n".join(path.read_text()[-3000:] for path in logs)


class WorkerProcess(ManagedProcess):
    """A `celery worker -B` on both queues, with the periodic recovery task."""

    def __init__(self, log_dir: Path):
        super().__init__(log_dir, "worker")

    def start(self) -> None:
        beat = ["-B", "-s", str(self.log_dir / "beat-schedule")]
        name = ["-n", f"test-{self.starts + 1}@%h"]
        self.spawn([sys.executable, *WORKER_COMMAND, *beat, *name, "--loglevel", "INFO"], process_env())


class WebServerProcess(ManagedProcess):
    """uvicorn serving the ASGI application (HTTP and websockets) on a free local port."""

    def __init__(self, log_dir: Path, **env: str):
        super().__init__(log_dir, "web")
        self.port = free_port()
        self.env = env  # settings of this server's own, as environment variables

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = process_env(CSRF_TRUSTED_ORIGINS=self.url, ALLOWED_HOSTS="127.0.0.1,localhost", **self.env)
        self.spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "alweb.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env,
        )
        wait_for(self._answers, timeout=60, worker=self)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
