"""`make demo`'s supervisor: a worker or beat that dies is started again, and health tells."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.live_processes import free_port

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]


def children_of(pid: int) -> dict[int, str]:
    """pid -> command line of the direct children of a process, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found[int(entry.name)] = command
    return found


def child_running(pid: int, marker: str) -> int | None:
    return next((child for child, command in children_of(pid).items() if marker in command), None)


def health(url: str) -> dict:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health/", timeout=3) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())
    except OSError:
        return {}


def wait_until(predicate, *, timeout: float, log: Path, process: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if value := predicate():
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s\n{log.read_text()[-4000:]}")


@pytest.fixture
def demo():
    """`python -m alweb.devserver` on the embedded default, with a tiny demo, in a private var folder."""
    var_dir = Path(tempfile.mkdtemp(prefix="alweb-ds-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "alweb.settings.base",
        "ALWEB_VAR_DIR": str(var_dir),
        "CYCLE_RECOVER_EVERY": "1",
        "OMP_NUM_THREADS": "1",
    }
    log = var_dir / "devserver.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "alweb.devserver", "--port", str(port), "--pool", "4", "--train", "8", "--val", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield process, f"http://127.0.0.1:{port}", log
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    shutil.rmtree(var_dir, ignore_errors=True)


def test_a_killed_beat_or_worker_is_started_again_and_the_demo_stops_cleanly(demo):
    process, url, log = demo
    wait_until(lambda: "The demo is running" in log.read_text(), timeout=180, log=log, process=process)
    wait_until(lambda: health(url).get("beat") == "ok", timeout=30, log=log, process=process)

    for marker, name in (("alweb beat", "scheduler (beat)"), ("alweb worker", "Celery worker")):
        first = wait_until(
            lambda marker=marker: child_running(process.pid, marker), timeout=10, log=log, process=process
        )
        os.kill(first, signal.SIGKILL)
        wait_until(
            lambda name=name: f"{name} exited with status -9; starting it again" in log.read_text(),
            timeout=20,
            log=log,
            process=process,
        )
        second = wait_until(
            lambda marker=marker: child_running(process.pid, marker), timeout=20, log=log, process=process
        )
        assert second != first

    # The new beat runs the periodic recovery again, so health stays ok.
    time.sleep(3)
    wait_until(lambda: health(url).get("beat") == "ok", timeout=30, log=log, process=process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert children_of(process.pid) == {}
