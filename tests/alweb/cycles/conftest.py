"""Real Celery worker processes for the loop's tests, a broker that can be restarted, and the
recorder of the messages the pipeline sends when it runs in the test process."""

import os
import signal
import subprocess

import pytest

from tests.alweb.cycles.in_process import SentTasks
from tests.live_processes import WorkerProcess, wait_for


@pytest.fixture
def worker(transactional_db, broker, tmp_path):
    from alweb.celery import app

    # Messages left by earlier tests name rows that no longer exist.
    app.control.purge()
    process = WorkerProcess(tmp_path)
    process.start()
    yield process
    process.kill(signal.SIGTERM)


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
    wait_for(
        lambda: (
            subprocess.run(["redis-cli", "-u", os.environ["REDIS_URL"], "ping"], capture_output=True).returncode == 0
        ),
        timeout=20,
    )


@pytest.fixture
def sent(monkeypatch, settings):
    from alweb.celery import app

    settings.SCORING_CHUNK_SIZE = 2
    recorder = SentTasks()
    monkeypatch.setattr(app, "send_task", recorder.send_task)
    return recorder
