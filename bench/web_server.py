"""A web server process for the benches: uvicorn started in its own session, waited for, its CPU read, stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench import nodelay_server

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(*, port: int, workers: int, env: dict, log_path: Path) -> subprocess.Popen:
    command = nodelay_server.command(python=sys.executable, port=port, workers=workers)
    # Its own session, so that Ctrl-C reaches it only through our cleanup, workers included. The
    # child keeps its own copy of the log's descriptor, so ours can close at once.
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def server_wait(*, base: str, token: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/api/v1/projects/", headers={"Authorization": f"Token {token}"}, timeout=10).ok:
                return
        except requests.RequestException:  # still starting
            pass
        time.sleep(0.3)
    raise RuntimeError(f"uvicorn did not answer in 60 s:\n{log_path.read_text()[-3000:]}")


def server_stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU seconds of the server's process group so far (the supervisor and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        # After the command's closing parenthesis: state, ppid, pgrp, ... utime (12th), stime (13th).
        if int(fields[2]) == server.pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks
