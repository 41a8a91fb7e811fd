"""The embedded default: a private redis-server that never outlives its owner, and a real worker on it."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from celery import Celery

from alweb.embedded_redis import EmbeddedRedis, EmbeddedRedisInUse, redis_server_executable

# Every test starts a redis-server or a worker of its own, most without the embedded_redis fixture.
pytestmark = pytest.mark.live

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def var_dir():
    path = Path(tempfile.mkdtemp(prefix="alweb-var-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def server_pid(server: EmbeddedRedis) -> int:
    return int(server.pidfile.read_text())


def test_start_answers_and_stop_leaves_nothing(var_dir):
    server = EmbeddedRedis(var_dir)
    server.start()
    pid = server_pid(server)
    assert server.ping() and running(pid)
    server.stop()
    assert not running(pid)
    assert not server.socket.exists() and not server.pidfile.exists()
    server.stop()  # a second stop is harmless


def test_a_second_owner_is_refused_while_the_first_runs(embedded_redis):
    with pytest.raises(EmbeddedRedisInUse):
        EmbeddedRedis(embedded_redis.dir.parent).start()
    assert embedded_redis.ping()


def test_the_server_of_a_killed_owner_is_gone_or_replaced_at_the_next_start(var_dir):
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; from alweb.embedded_redis import EmbeddedRedis; "
                "r = EmbeddedRedis(Path(sys.argv[1])); r.start(); print(r.pidfile.read_text(), flush=True); time.sleep(60)"
            ),
            str(var_dir),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    old_pid = int(owner.stdout.readline())
    owner.kill()
    owner.wait()
    server = EmbeddedRedis(var_dir)
    server.start()
    new_pid = server_pid(server)
    server.stop()
    assert new_pid != old_pid
    assert not running(old_pid) and not running(new_pid)


@pytest.mark.parametrize("with_pidfile", [True, False])
def test_a_leftover_server_on_the_socket_is_replaced(var_dir, with_pidfile):
    """As after an owner was killed where the kernel does not stop its children."""
    socket = var_dir / "redis" / "redis.sock"
    socket.parent.mkdir()
    leftover = subprocess.Popen(
        [
            str(redis_server_executable()),
            "--unixsocket",
            str(socket),
            "--port",
            "0",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        probe = EmbeddedRedis(var_dir)
        while not probe.ping():
            assert leftover.poll() is None
        if with_pidfile:
            probe.pidfile.write_text(f"{leftover.pid}\n")
        server = EmbeddedRedis(var_dir)
        server.start()
        assert leftover.wait(timeout=10) is not None
        assert server.ping()
        server.stop()
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()


def test_a_real_worker_runs_a_product_task_on_the_embedded_redis(embedded_redis):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ALWEB_VAR_DIR=str(embedded_redis.dir.parent), DJANGO_SETTINGS_MODULE="alweb.settings.base")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "alweb",
            "worker",
            "-Q",
            "default",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    broker = f"redis+socket://{embedded_redis.socket}"
    try:
        assert ping_through(broker, worker) == "pong"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert worker.returncode == 0


def ping_through(broker: str, worker: subprocess.Popen) -> str:
    """Send health.ping and read its result by plain GETs (no pub/sub left open on the broker)."""
    sender, reader = Celery("sender", broker=broker), Celery("reader", broker=broker, backend=broker)
    try:
        task_id = sender.send_task("health.ping", queue="default").id
        deadline = time.monotonic() + 30
        while (meta := reader.backend.get_task_meta(task_id))["status"] != "SUCCESS":
            assert worker.poll() is None, "the worker exited before it ran the task"
            assert time.monotonic() < deadline, f"the worker did not run the task in 30 s: {meta}"
            time.sleep(0.1)
        return meta["result"]
    finally:
        sender.close()
        reader.close()
