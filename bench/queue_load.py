"""queue/next latency with 10,000 and 1,000,000 queued images, through a real server on PostgreSQL or SQLite.

Creates a bench database (dropped at exit, Ctrl-C included; with --database sqlite a file in a
temporary folder), starts uvicorn on a free 127.0.0.1 port, loads the pool with one
INSERT ... SELECT over a generated series, then runs N
annotators (one process each, token auth) that ask for the next image and skip it, in a
loop. Every lease a client receives is kept as an interval from the response to the
release; two clients' intervals on one image that overlap are a double assignment.

Server CPU per request: the user + system CPU time of the uvicorn processes (the
supervisor and its workers, read from /proc at the start and the end of the measured
window) divided by the requests measured in it. It is the web tier's whole cost of a
request (ASGI, middleware, authentication, the view, the database driver), not
PostgreSQL's; the clients run in other processes and are not counted.

    python -m bench.queue_load
    python -m bench.queue_load --seconds 10 --sizes 10000,100000
    python -m bench.queue_load --database sqlite
"""

import argparse
import collections
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psycopg

from bench.queue_pool import pool_load
from bench.web_server import free_port, server_cpu_seconds, server_start, server_stop, server_wait

ROOT = Path(__file__).resolve().parent.parent

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "alweb_bench_queue"
TARGET_P99_MS = 50.0
TARGET_P99_RATIO = 1.5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured run per pool size")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured run before each measured one")
    parser.add_argument("--clients", type=int, default=8, help="concurrent annotators, one process each")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--pool", type=int, default=8, help="database connections pooled per worker; 0: none")
    parser.add_argument(
        "--sizes", default="10000,1000000", help="queued images, comma-separated; the first is the baseline"
    )
    parser.add_argument(
        "--database",
        choices=["postgresql", "sqlite"],
        default="postgresql",
        help="the server's database: the bench PostgreSQL database, or an SQLite file (the embedded default)",
    )
    return parser.parse_args()


def database_reset(*, create: bool) -> None:
    """Drop the bench database, connections and all, and create it afresh if asked."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if create:
            admin.execute(f"CREATE DATABASE {BENCH_DB}")


def fixtures_create(clients: int) -> tuple[int, int, list[str], list[int]]:
    """A project, a ready cycle and `clients` annotators; (project, cycle, tokens, user ids)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from alweb.cycles.models import Cycle
    from alweb.projects.services import membership_set, project_create

    users = get_user_model().objects
    admin = users.create_user(username="bench-admin", password="bench-password")
    project = project_create(user=admin, name="Queue bench", preset="lsp14")
    cycle = Cycle.objects.create(
        project=project, index=1, state="ready", strategy="ll_plus_plus", budget=10, epochs=1, model_name="hg-tiny"
    )
    annotators = [users.create_user(username=f"bench-annotator-{i}", password="bench-password") for i in range(clients)]
    for user in annotators:
        membership_set(project=project, username=user.username, role="annotator")
    tokens = [Token.objects.create(user=user).key for user in annotators]
    return project.id, cycle.id, tokens, [user.id for user in annotators]


def client_signals() -> None:
    """Clients leave Ctrl-C to the parent, which terminates them (SIGTERM, default action)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Client:
    """One annotator's keep-alive HTTP connection, in the standard library's plain client: on a machine whose
    cores the server shares, a client's own CPU per request is taken from the server's (requests' is
    several times http.client's)."""

    def __init__(self, base: str, token: str):
        self.address = urlsplit(base).netloc
        self.headers = {"Authorization": f"Token {token}", "Content-Length": "0"}
        self.connection = http.client.HTTPConnection(self.address, timeout=30)

    def post(self, path: str) -> tuple[int, bytes]:
        try:
            self.connection.request("POST", path, headers=self.headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.address, timeout=30)
            raise


def annotator(base: str, project_id: int, token: str, warmup_until: float, stop_at: float) -> dict:
    """Next, then skip, until stop_at; (milliseconds, status) of each measured request, and every hold."""
    client = Client(base, token)
    out = {"next": [], "release": [], "holds": [], "errors": []}

    def post(kind: str, path: str, measured: bool) -> tuple[int, bytes]:
        started = time.perf_counter()
        status, body = client.post(path)
        if measured:
            out[kind].append(((time.perf_counter() - started) * 1000, status))
        if status not in (200, 204):
            out["errors"].append(f"{kind} {status} {body[:200]!r}")
        return status, body

    while (now := time.monotonic()) < stop_at:
        measured = now >= warmup_until
        status, body = post("next", f"/api/v1/projects/{project_id}/queue/next/", measured)
        received = time.monotonic()
        if status != 200:
            continue
        leased = json.loads(body)
        # The server leased the image before `received` and frees it after the release is sent.
        out["holds"].append((leased["image"], received, time.monotonic()))
        post("release", f"/api/v1/leases/{leased['lease']['id']}/release/", measured)
    return out


def double_assignments(per_client: list[list[tuple]]) -> int:
    """Pairs of overlapping holds of one image by two clients (each hold: response .. release sent)."""
    holds = sorted(
        (image, start, end, client) for client, leases in enumerate(per_client) for image, start, end in leases
    )
    doubles, current, latest_end, latest_client = 0, None, 0.0, None
    for image, start, end, client in holds:
        if image != current:
            current, latest_end, latest_client = image, end, client
            continue
        if start < latest_end and client != latest_client:
            doubles += 1
        if end > latest_end:
            latest_end, latest_client = end, client
    return doubles


def run_size(
    *, base: str, project_id: int, tokens: list[str], seconds: float, warmup: float, server: subprocess.Popen
) -> dict:
    from django.db import connections

    connections.close_all()  # forked clients must not inherit a database socket
    start = time.monotonic() + 0.5
    warmup_until, stop_at = start + warmup, start + warmup + seconds
    # Leaving the block terminates the clients, also when Ctrl-C interrupts the wait.
    with multiprocessing.get_context("fork").Pool(len(tokens), initializer=client_signals) as pool:
        pending = [pool.apply_async(annotator, (base, project_id, token, warmup_until, stop_at)) for token in tokens]
        time.sleep(max(0.0, warmup_until - time.monotonic()))
        cpu_started = server_cpu_seconds(server)
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu_used = server_cpu_seconds(server) - cpu_started
        results = [result.get() for result in pending]
    requests_ = [sample for r in results for sample in r["next"] + r["release"]]
    latencies = np.array([ms for ms, _ in requests_])
    statuses = collections.Counter(status for _, status in requests_)
    return {
        "requests_per_s": len(latencies) / seconds,
        "cpu_ms": 1000 * cpu_used / max(1, len(latencies)),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "next_p99_ms": float(np.percentile([ms for r in results for ms, _ in r["next"]], 99)),
        "doubles": double_assignments([r["holds"] for r in results]),
        "errors": sum(count for status, count in statuses.items() if status not in (200, 204)),
        "statuses": dict(statuses),
        "error_samples": [error for r in results for error in r["errors"]][:5],
    }


def explain_next(*, project_id: int, user_id: int) -> str:
    """The plans of the statements queue/next runs on PostgreSQL, inside its function (queue_lease_next), rolled back.

    auto_explain logs each nested statement's EXPLAIN ANALYZE at NOTICE level, which reaches this client.
    """
    import uuid

    from django.db import connection, transaction
    from django.utils import timezone

    plans: list[str] = []
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        connection.connection.add_notice_handler(lambda notice: plans.append(notice.message_primary))
        for setting in (
            "LOAD 'auto_explain'",
            "SET LOCAL auto_explain.log_min_duration = 0",
            "SET LOCAL auto_explain.log_analyze = on",
            "SET LOCAL auto_explain.log_buffers = on",
            "SET LOCAL auto_explain.log_nested_statements = on",
            "SET LOCAL auto_explain.log_level = notice",
        ):
            cursor.execute(setting)
        cursor.execute(
            "SELECT id FROM queue_lease_next(%s, %s, %s, %s, %s, NULL)",
            [project_id, user_id, now, now + timedelta(minutes=5), uuid.uuid4()],
        )
        transaction.set_rollback(True)
    connection.close()  # the notice handler and the loaded module go with the connection
    return "\n\n".join(plans)


def report(sizes: list[int], rows: list[dict], loads: list[float], explain_ok: bool | None) -> None:
    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(
        f"\n{'queued':>10} {'load s':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'next p99':>9} {'cpu ms':>7} {'doubles':>8} {'errors':>7}  p99<{TARGET_P99_MS:g}ms"
    )
    for size, row, load in zip(sizes, rows, loads):
        print(
            f"{size:>10,} {load:>7.1f} {row['requests_per_s']:>7.0f} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
            f"{row['next_p99_ms']:>9.1f} {row['cpu_ms']:>7.2f} {row['doubles']:>8} {row['errors']:>7}  {verdict(row['p99_ms'] < TARGET_P99_MS)}"
        )
    if len(rows) > 1:
        ratio = rows[-1]["p99_ms"] / rows[0]["p99_ms"]
        print(
            f"p99({sizes[-1]:,}) / p99({sizes[0]:,}) = {ratio:.2f}  (target <= {TARGET_P99_RATIO})  {verdict(ratio <= TARGET_P99_RATIO)}"
        )
    doubles = sum(row["doubles"] for row in rows)
    print(f"double assignments: {doubles}  (target 0)  {verdict(doubles == 0)}")
    print("cpu ms: the server's CPU per measured request (next and release alike), uvicorn's processes only")
    if explain_ok is not None:
        print(f"queue/next walks the open-rank partial index at {sizes[-1]:,}: {verdict(explain_ok)}")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def interrupt(signum, frame) -> None:
    """Clean up on SIGTERM as on Ctrl-C."""
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    var_dir = Path(tempfile.mkdtemp(prefix="alweb-bench-queue-"))
    postgresql = args.database == "postgresql"
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}" if postgresql else f"sqlite:///{var_dir / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "alweb.settings.base",
        "ALWEB_VAR_DIR": str(var_dir),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
        "LOG_LEVEL": "WARNING",
        # A private run, not a deployment.
        "SECRET_KEY": os.environ.get("SECRET_KEY", "insecure-key-for-benchmarks-only"),
    }
    os.environ.update(env)
    signal.signal(signal.SIGTERM, interrupt)
    server = None
    try:
        if postgresql:
            database_reset(create=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        project_id, cycle_id, tokens, user_ids = fixtures_create(args.clients)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server_env = {**env, "DATABASE_POOL_SIZE": str(args.pool or "") if postgresql else ""}
        server = server_start(port=port, workers=args.workers, env=server_env, log_path=var_dir / "uvicorn.log")
        server_wait(base=base, token=tokens[0], server=server, log_path=var_dir / "uvicorn.log")
        print(
            f"uvicorn, {args.workers} worker process{'es' if args.workers > 1 else ''}, {args.database}, "
            f"{args.pool if postgresql and args.pool else 'no'} pooled connections each, on {base}; "
            f"{args.clients} clients; {args.seconds:g} s per size"
        )
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        rows, loads = [], []
        for size in sizes:
            loads.append(pool_load(project_id=project_id, cycle_id=cycle_id, size=size))
            print(f"{size:,} queued images loaded in {loads[-1]:.1f} s; running ...", flush=True)
            rows.append(
                run_size(
                    base=base,
                    project_id=project_id,
                    tokens=tokens,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    server=server,
                )
            )
            print(f"  statuses: {rows[-1]['statuses']}", *rows[-1]["error_samples"], sep="\n  ", flush=True)
        explain_ok = None
        if postgresql:
            plans = explain_next(project_id=project_id, user_id=user_ids[0])
            print(f"\nEXPLAIN ANALYZE of queue/next at {sizes[-1]:,} (each statement of queue_lease_next):\n{plans}")
            explain_ok = "queue_entry_open_rank" in plans
        report(sizes, rows, loads, explain_ok)
    finally:
        if server is not None:
            server_stop(server)
        shutil.rmtree(var_dir, ignore_errors=True)
        if postgresql:
            database_reset(create=False)  # WITH (FORCE) ends this process's connection too


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("Interrupted; the server is stopped and the bench database dropped.")
