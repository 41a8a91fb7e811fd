"""Run the demo on one machine: prepare the database, then the web server, a Celery worker and beat.

``python -m alweb.devserver`` migrates, collects static files and seeds the demo, then runs
uvicorn, a real Celery worker and Celery beat until Ctrl-C or SIGTERM. It supervises them: a
child that dies is started again, and the console says so. On every way out it stops them all
(and the embedded redis-server when REDIS_URL is not set).
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import NoReturn

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alweb.settings.base")

import django  # the settings module is chosen above, before Django is imported

# Every import of Django's or the apps' modules below sits inside a function: they may load only
# after main() has called django.setup().

STOP_TIMEOUT_S = 20
READY_TIMEOUT_S = 120
# One worker on both queues, one task at a time: the demo's, and the one the tests and benches start.
WORKER_COMMAND = [
    "-m",
    "celery",
    "-A",
    "alweb",
    "worker",
    "-Q",
    "default,gpu",
    "--concurrency",
    "1",
    "--prefetch-multiplier",
    "1",
]
BEAT_COMMAND = ["-m", "celery", "-A", "alweb", "beat", "--loglevel", "INFO", "--schedule"]
# How often the scenes project checks whether the first project's cycle has finished.
SCENES_POLL_S = 5
# A child that dies is started again; one that dies this often within RESTART_WINDOW_S is given up on.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 600


class Stop(Exception):
    """Raised by the SIGTERM/SIGHUP handler so that the same clean-up runs as for Ctrl-C."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--pool", type=int, default=None, help="demo pool images to seed (seed_demo's default)")
    parser.add_argument("--train", type=int, default=None, help="demo labelled training images to seed")
    parser.add_argument("--val", type=int, default=None, help="demo validation images to seed")
    args = parser.parse_args(argv)

    django.setup()
    from django.conf import settings

    from alweb.embedded_redis import EmbeddedRedis
    from alweb.redis_urls import embedded_redis_url

    # SIGINT explicitly too: a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    embedded = embedded_redis_url(settings.VAR_DIR) == settings.REDIS_URL
    broker = EmbeddedRedis(settings.VAR_DIR) if embedded else None
    children: list[Child] = []
    try:
        if broker:
            broker.start()
        _prepare(sizes={split: getattr(args, split) for split in ("pool", "train", "val")})
        children.extend(
            Child(name, command)
            for name, command in (
                (
                    "the web server",
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "alweb.asgi:application",
                        "--host",
                        args.host,
                        "--port",
                        str(args.port),
                        "--lifespan",
                        "off",
                    ],
                ),
                ("the Celery worker", [sys.executable, *WORKER_COMMAND, "--loglevel", "INFO"]),
                # Its own process, not the worker's embedded beat: a beat that dies is then seen and restarted.
                (
                    "the periodic-task scheduler (beat)",
                    [sys.executable, *BEAT_COMMAND, str(settings.VAR_DIR / "celerybeat-schedule")],
                ),
            )
        )
        base_url = f"http://{args.host}:{args.port}/"
        _wait_until_ready(base_url=base_url, children=children)
        _start_first_cycle()
        # Seeded while the first project trains, and its cycle started once that one is ranked:
        # one worker runs one task at a time, and the first project's queue must not wait for it.
        threading.Thread(target=_scenes_demo, name="scenes-demo", daemon=True).start()
        _print_banner(base_url=base_url)
        _supervise(children)
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


def _prepare(*, sizes: dict[str, int | None]) -> None:
    """Bring the database and static files up to date and seed the demo (idempotent)."""
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", scenes=False, **{split: size for split, size in sizes.items() if size is not None})
    # The children open their own connections; SQLite prefers no idle writer here.
    connections.close_all()


def _start_first_cycle() -> None:
    """Queue the demo's first cycle on a fresh demo, so annotators soon have a ranked queue."""
    from alweb.demo.services import demo_first_cycle_ensure

    cycle = demo_first_cycle_ensure()
    if cycle is not None:
        print(
            f"Started the first active-learning cycle ({cycle.epochs} epochs); its queue is ranked "
            "in a few minutes. Watch it on the dashboard.",
            flush=True,
        )


def _scenes_demo() -> None:
    """Seed the scenes project, then start its first cycle when the first project's is settled."""
    from django.db import connection

    from alweb.demo.scenes import (
        SCENES_PROJECT_NAME,
        demo_first_cycle_settled,
        demo_scenes_first_cycle_ensure,
        demo_scenes_seed,
    )

    try:
        demo_scenes_seed()
        while not demo_first_cycle_settled():
            time.sleep(SCENES_POLL_S)
        cycle = demo_scenes_first_cycle_ensure()
        if cycle is not None:
            print(f"Started the first cycle of {SCENES_PROJECT_NAME!r} (several people per image).", flush=True)
    except Exception as error:
        print(f"The scenes demo project could not be prepared: {error}", file=sys.stderr, flush=True)
    finally:
        connection.close()


class Child:
    """One supervised process, in its own process group so that it gets one signal, from us, at stop time."""

    def __init__(self, name: str, command: list[str]):
        self.name, self.command = name, command
        self.restarts: list[float] = []
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        from alweb.embedded_redis import die_with_parent

        return subprocess.Popen(
            self.command, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent
        )

    def exited(self) -> int | None:
        return self.process.poll()

    def restart(self) -> None:
        """Start the process again; RuntimeError when it keeps dying."""
        now = time.monotonic()
        self.restarts = [at for at in self.restarts if now - at < RESTART_WINDOW_S] + [now]
        if len(self.restarts) > MAX_RESTARTS:
            raise RuntimeError(f"{self.name} died {len(self.restarts)} times in {RESTART_WINDOW_S // 60} minutes.")
        # What the dead leader left in its group (a worker's pool process) must not linger.
        _signal_group(self.process, signal.SIGKILL)
        self.process = self._start()


def _wait_until_ready(*, base_url: str, children: list[Child]) -> None:
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
    """The database and the broker answer (beat's first run may still be a period away)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
    except (urllib.error.URLError, OSError):
        return False
    try:
        checks = json.loads(body)
    except ValueError:
        return False
    return checks.get("database") == "ok" and checks.get("broker") == "ok"


def _ensure_running(children: list[Child]) -> None:
    for child in children:
        if child.exited() is not None:
            raise RuntimeError(f"{child.name} exited with status {child.exited()}.")


def _print_banner(*, base_url: str) -> None:
    from django.contrib.auth import get_user_model

    from alweb.demo.credentials import credentials_load_or_create, credentials_path

    passwords = credentials_load_or_create(path=credentials_path())
    # Seeding never resets an existing account's password: say so rather than print one that fails.
    for user in get_user_model().objects.filter(username__in=list(passwords)):
        if not user.check_password(passwords[user.username]):
            passwords[user.username] = "(the account's own; seeding left it unchanged)"
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


def _supervise(children: list[Child]) -> NoReturn:
    """Block until Ctrl-C or SIGTERM, starting again any child that dies, and saying so."""
    while True:
        for child in children:
            status = child.exited()
            if status is not None:
                print(f"{child.name} exited with status {status}; starting it again.", flush=True)
                child.restart()
        time.sleep(0.5)


def _stop_all(children: list[Child]) -> None:
    """SIGINT to each child's process group, wait, then SIGKILL what is left."""
    for child in children:
        _signal_group(child.process, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{child.name} did not stop in {STOP_TIMEOUT_S} s; killing it.", flush=True)
        # Also ends what the leader left in its group (the worker's pool processes).
        _signal_group(child.process, signal.SIGKILL)
        child.process.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)


if __name__ == "__main__":
    sys.exit(main())
