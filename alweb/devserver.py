"""Run the demo on one machine: prepare the database, then the web server and a Celery worker.

``python -m alweb.devserver`` migrates, collects static files and seeds the demo, then
runs uvicorn and a real Celery worker until Ctrl-C or SIGTERM, and stops both (and the
embedded redis-server when REDIS_URL is not set) on every way out.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import NoReturn

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alweb.settings.base")

import django  # noqa: E402  (the settings module must be chosen first)

STOP_TIMEOUT_S = 20
READY_TIMEOUT_S = 120
WORKER_COMMAND = ["-m", "celery", "-A", "alweb", "worker", "-Q", "default,gpu",
                  "--concurrency", "1", "--prefetch-multiplier", "1", "--loglevel", "INFO"]


class Stop(Exception):
    """Raised by the SIGTERM/SIGHUP handler so that the same clean-up runs as for Ctrl-C."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)

    django.setup()
    from django.conf import settings

    from alweb.embedded_redis import EmbeddedRedis
    from alweb.redis_urls import embedded_redis_url

    # SIGINT explicitly too: a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    embedded = settings.REDIS_URL == embedded_redis_url(settings.VAR_DIR)
    broker = EmbeddedRedis(settings.VAR_DIR) if embedded else None
    children: list[subprocess.Popen] = []
    try:
        if broker:
            broker.start()
        _prepare()
        children.append(_spawn([sys.executable, "-m", "uvicorn", "alweb.asgi:application",
                                "--host", args.host, "--port", str(args.port), "--lifespan", "off"]))
        # One machine, one worker: it also runs the periodic tasks (beat), e.g. cycle recovery.
        beat = ["--beat", "--schedule", str(settings.VAR_DIR / "celerybeat-schedule")]
        children.append(_spawn([sys.executable, *WORKER_COMMAND, *beat]))
        base_url = f"http://{args.host}:{args.port}/"
        _wait_until_ready(base_url=base_url, children=children)
        _start_first_cycle()
        _print_banner(base_url=base_url)
        _wait_for_exit(children)
    except (KeyboardInterrupt, Stop):
        print("\nStopping the web server and the worker...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"The demo could not run: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the clean-up short; the timeouts bound it.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        _stop_all(children)
        if broker:
            broker.stop()
        print("Stopped.", flush=True)


def _raise_stop(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def _prepare() -> None:
    """Bring the database and static files up to date and seed the demo (idempotent)."""
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo")
    # The children open their own connections; SQLite prefers no idle writer here.
    connections.close_all()


def _start_first_cycle() -> None:
    """Queue the demo's first cycle on a fresh demo, so annotators soon have a ranked queue."""
    from alweb.demo.services import demo_first_cycle_ensure

    cycle = demo_first_cycle_ensure()
    if cycle is not None:
        print(f"Started the first active-learning cycle ({cycle.epochs} epochs); its queue is ranked "
              "in a few minutes. Watch it on the dashboard.", flush=True)


def _spawn(command: list[str]) -> subprocess.Popen:
    """Start a child in its own process group, so that it gets one signal, from us, at stop time."""
    from alweb.embedded_redis import die_with_parent

    return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)


def _wait_until_ready(*, base_url: str, children: list[subprocess.Popen]) -> None:
    """Wait for the health endpoint, then for the worker to answer a ping through the broker."""
    from alweb.celery import app as celery_app

    deadline = time.monotonic() + READY_TIMEOUT_S
    while not _healthy(base_url + "api/v1/health/"):
        _ensure_running(children)
        if time.monotonic() > deadline:
            raise RuntimeError("The web server did not become healthy in time.")
        time.sleep(0.5)
    while not celery_app.control.ping(timeout=1.0):
        _ensure_running(children)
        if time.monotonic() > deadline:
            raise RuntimeError("The Celery worker did not answer in time.")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _ensure_running(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is not None:
            raise RuntimeError(f"{_describe(child)} exited with status {child.returncode}.")


def _describe(child: subprocess.Popen) -> str:
    return "the web server" if "uvicorn" in child.args else "the Celery worker"


def _print_banner(*, base_url: str) -> None:
    from alweb.demo.credentials import credentials_load_or_create, credentials_path

    passwords = credentials_load_or_create(path=credentials_path())
    lines = [
        "",
        f"The demo is running at {base_url}  (API docs: {base_url}api/v1/docs/)",
        f"  admin      password: {passwords['admin']}   (the project's admin)",
        f"  annotator  password: {passwords['annotator']}   (the project's annotator)",
        f"  The passwords are kept in {credentials_path()}.",
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)


def _wait_for_exit(children: list[subprocess.Popen]) -> NoReturn:
    """Block until Ctrl-C or SIGTERM; a child that exits on its own is a failure of the demo."""
    while True:
        _ensure_running(children)
        time.sleep(0.5)


def _stop_all(children: list[subprocess.Popen]) -> None:
    """SIGINT to each child's process group, wait, then SIGKILL what is left."""
    for child in children:
        _signal_group(child, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{_describe(child)} did not stop in {STOP_TIMEOUT_S} s; killing it.", flush=True)
        # Also ends what the leader left in its group (the worker's pool and beat processes).
        _signal_group(child, signal.SIGKILL)
        child.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    sys.exit(main())
