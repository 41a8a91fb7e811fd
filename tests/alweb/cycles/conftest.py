"""A real broker and real Celery worker processes for the loop's tests."""
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection



def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    """A `celery worker -B` process on the test database, startable and killable at will."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "alweb.settings.test",
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ML_WORK_DIR": str(settings.ML_WORK_DIR),
            "OMP_NUM_THREADS": "1",
        }
        log = open(self.log_dir / f"worker-{self.starts}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "alweb", "worker", "-B", "-Q", "default,gpu",
             "--concurrency", "1", "--prefetch-multiplier", "1", "--loglevel", "INFO",
             "-s", str(self.log_dir / "beat-schedule"), "-n", f"test-{self.starts}@%h"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker's whole process group (main process, pool children, beat)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def log_tail(self) -> str:
        logs = sorted(self.log_dir.glob("worker-*.log"))
        return "\n".join(path.read_text()[-3000:] for path in logs)


@pytest.fixture
def worker(transactional_db, broker, tmp_path):
    from alweb.celery import app

    # Messages left by earlier tests name rows that no longer exist.
    app.control.purge()
    process = WorkerProcess(tmp_path)
    process.start()
    yield process
    process.kill(signal.SIGTERM)


def wait_for(predicate, *, timeout: float, interval: float = 0.3, worker: WorkerProcess | None = None):
    """Poll until predicate() is truthy; fail with the worker's log when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    log = worker.log_tail() if worker else ""
    pytest.fail(f"timed out after {timeout}s\n{log}")


def restart_broker(broker) -> None:
    """Restart Redis, losing every message it held (it keeps nothing on disk)."""
    if broker is not None:
        broker.stop()
        broker.start()
        return
    command = os.environ.get("ALWEB_TEST_REDIS_RESTART_COMMAND")
    if not command:
        pytest.skip("REDIS_URL is set but ALWEB_TEST_REDIS_RESTART_COMMAND is not: the test cannot restart that Redis")
    subprocess.run(["redis-cli", "-u", os.environ["REDIS_URL"], "shutdown", "nosave"], check=False)
    subprocess.run(command, shell=True, check=True)
    wait_for(lambda: subprocess.run(["redis-cli", "-u", os.environ["REDIS_URL"], "ping"],
                                    capture_output=True).returncode == 0, timeout=20)
