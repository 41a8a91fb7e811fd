"""One active-learning cycle through real Celery workers: seconds per phase, scoring throughput.

    python -m bench.cycle [--pool 5000] [--train 300] [--val 100] [--epochs 3] [--database-url URL] [--storage s3]
    python -m bench.cycle --pool 200 --train 40 --val 20 --epochs 1 --pool-rows 1000000 --database-url URL

Runs on a private SQLite database (or the PostgreSQL database given, which it creates and
drops) and a private embedded redis-server, seeds a synthetic project through the real
services, starts a worker process and one cycle, and records when the cycle changes phase.
Then, in this process, it scores the same stored pool with the same model (score_pool on
the image files, as bench/scoring.py does) and prints the workers' throughput as a ratio
to it: what the queueing, chunking and database writes cost (target >= 0.8). Last, it
times POST /predict/ through Django's request stack with the model loaded (target < 100 ms).
With --predict-under-training it then starts a web server process and times /predict/ over
HTTP idle and while two more cycles train, and the training throughput without and with it.

With --pool-rows N it then adds N generated pool images with generated scores and times, at
that full size, selection, the queue rebuild, the core-set refusal and the dashboard's reads
(bench/pool_rows.py says which stages are sampled and how the rows are made).

With --storage s3 every file lives in a bucket of an S3 API server on loopback (moto's, from
the test extra) and the worker scores through it. The reference stays score_pool on local
files: the same images and model copied out of the bucket into a folder and scored in this
process, beside score_pool through the bucket. The ratio is then the workers' throughput
through the object store to local files (target >= 0.8): the cycle reads each pool image from the
bucket for the first time. score_pool in this process then scores the pool twice more, once with
every image from the bucket and once from the copies the worker kept on this machine
(alweb/cycles/stored_image_copies.py), as the next cycle would. The S3 server shares this
machine's cores with the worker, which a remote object store would not.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alweb.devserver import WORKER_COMMAND
from bench.cycle_predict import predict_latency, predict_under_training

ROOT = Path(__file__).resolve().parent.parent


def configure(scratch: Path, database_url: str | None) -> None:
    """Point the settings at private folders, database and broker, before Django starts."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "alweb.settings.base"
    os.environ["ALWEB_VAR_DIR"] = str(scratch / "var")
    os.environ["ALWEB_STORAGE"] = "local"
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ["ML_WORK_DIR"] = str(scratch / "ml-work")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["REDIS_URL"] = f"unix://{scratch / 'var' / 'redis' / 'redis.sock'}"
    # A private run, not a deployment; /predict/ latency is measured over many requests.
    os.environ.setdefault("SECRET_KEY", "insecure-key-for-benchmarks-only")
    os.environ["THROTTLE_PREDICT"] = ""


def create_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(*, pool: int, train: int, val: int):
    from django.contrib.auth import get_user_model

    from alweb.demo.services import synthetic_split_ensure
    from alweb.projects.services import project_create

    user = get_user_model().objects.create_user(username="bench", password="bench-password")
    project = project_create(user=user, name="Bench", preset="lsp14")
    for split, count in (("train", train), ("val", val), ("pool", pool)):
        started = time.perf_counter()
        synthetic_split_ensure(project=project, user=user, split=split, count=count)
        print(f"  seeded {count:>5} {split:<5} images in {time.perf_counter() - started:6.1f} s", flush=True)
    return project


def start_worker(log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *WORKER_COMMAND, "-B", "-s", str(log.parent / "beat-schedule"), "--loglevel", "WARNING"],
        cwd=ROOT,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=60)


def watch_cycle(cycle_id: int, timeout: float) -> dict[str, float]:
    """Poll the cycle and return the moment (perf_counter) each state was first seen."""
    from alweb.cycles.models import Cycle

    seen: dict[str, float] = {}
    deadline = time.perf_counter() + timeout
    last_report = 0.0
    while time.perf_counter() < deadline:
        cycle = Cycle.objects.get(pk=cycle_id)
        seen.setdefault(cycle.state, time.perf_counter())
        if time.perf_counter() - last_report > 5:
            progress = cycle.progress
            print(
                f"  {cycle.state:<9} {progress.get('phase')} epoch {progress.get('epoch')}/{progress.get('epochs')} "
                f"step {progress.get('step')}/{progress.get('steps')}",
                flush=True,
            )
            last_report = time.perf_counter()
        if cycle.state in ("ready", "failed", "cancelled"):
            if cycle.state != "ready":
                raise SystemExit(f"cycle ended {cycle.state}: {cycle.error}")
            return seen
        time.sleep(0.1)
    raise SystemExit("timed out waiting for the cycle")


def in_process_rate(project) -> tuple[float, int]:
    """Images/s of score_pool in this process over the stored pool, with the cycle's model."""
    from django.conf import settings

    from alweb.cycles import artefacts
    from alweb.cycles.image_sources import StoredImages
    from alweb.cycles.selectors import active_model_version
    from alweb.images.models import Image
    from ml.score import score_pool

    version = active_model_version(project=project)
    model = artefacts.model_load(name=version.checkpoint.name)
    names = list(Image.objects.filter(project=project, split="pool").order_by("id").values_list("file", flat=True))
    started = time.perf_counter()
    score_pool(model, StoredImages(names), device="cpu", batch_size=settings.SCORING_BATCH_SIZE)
    return len(names) / (time.perf_counter() - started), len(names)


def local_files_rate(project, folder: Path) -> float:
    """in_process_rate with the pool and the model copied out of the bucket into a folder and read from there."""
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage, default_storage
    from django.test import override_settings

    from alweb.cycles.selectors import active_model_version
    from alweb.images.models import Image

    names = list(Image.objects.filter(project=project, split="pool").values_list("file", flat=True))
    names.append(active_model_version(project=project).checkpoint.name)
    local = FileSystemStorage(location=folder)
    for name in names:
        with default_storage.open(name, "rb") as stored:
            local.save(name, stored)
    files = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}}
    with override_settings(STORAGES={**settings.STORAGES, "default": files}):
        return in_process_rate(project)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=5000)
    parser.add_argument("--train", type=int, default=300)
    parser.add_argument("--val", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--database-url", help="a PostgreSQL URL whose database is created and dropped")
    parser.add_argument("--storage", choices=["local", "s3"], default="local", help="where the files live")
    parser.add_argument(
        "--predict-under-training",
        action="store_true",
        help="then run two more cycles, the second with /predict/ requests to a web server process all along",
    )
    parser.add_argument(
        "--pool-rows",
        type=int,
        default=0,
        help="then add N generated pool images with generated scores and time selection, queue and dashboard "
        "at that size (PostgreSQL only)",
    )
    args = parser.parse_args()
    if args.pool_rows and not args.database_url:
        parser.error("--pool-rows loads rows with PostgreSQL statements: give --database-url")

    scratch = Path(tempfile.mkdtemp(prefix="alweb-bench-cycle-"))
    configure(scratch, args.database_url)
    if args.database_url:
        create_postgres_database(args.database_url)
    from alweb.embedded_redis import EmbeddedRedis

    broker = EmbeddedRedis(scratch / "var")
    worker = s3_server = None
    try:
        broker.start()
        if args.storage == "s3":
            from tests.s3_server import S3Server

            s3_server = S3Server(scratch / "moto.log")
            s3_server.start()
            # The settings, and the worker started below, store every file in this bucket.
            os.environ.update(s3_server.bucket_create("alweb-bench"))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # The worker starts while the pool is seeded, so its start-up is not counted as queueing.
        worker = start_worker(scratch / "worker.log")
        print(f"seeding (pool {args.pool}, train {args.train}, val {args.val})", flush=True)
        project = seed(pool=args.pool, train=args.train, val=args.val)
        from alweb.cycles.services import cycle_start

        started = time.perf_counter()
        cycle = cycle_start(
            project=project, strategy="ll_plus_plus", budget=args.budget, epochs=args.epochs, model_name="hg-tiny"
        )
        seen = watch_cycle(cycle.id, args.timeout)
        # The in-process reference allocates as the workers do (alweb/process_roles.py).
        from ml.allocator import keep_freed_memory

        keep_freed_memory()
        copies_rate = None
        if s3_server is None:
            rate, scored = in_process_rate(project)
            local_rate, server_cpu = rate, 0.0
        else:
            from django.test import override_settings

            cpu_before = s3_server.cpu_seconds()
            with override_settings(STORED_IMAGE_COPIES_BYTES=0):
                rate, scored = in_process_rate(project)
            server_cpu = (s3_server.cpu_seconds() - cpu_before) / scored
            # This process shares the worker's ML_WORK_DIR: the copies it made while scoring serve a later cycle.
            copies_rate = in_process_rate(project)[0]
            local_rate = local_files_rate(project, scratch / "local-files")
        latency = predict_latency(project)
        report(
            started,
            seen,
            pool=scored,
            in_process=rate,
            in_process_copies=copies_rate,
            local_files=local_rate,
            storage=args.storage,
            server_cpu=server_cpu,
            epochs=args.epochs,
            latency=latency,
        )
        if args.predict_under_training:
            predict_under_training(
                project,
                scratch,
                epochs=args.epochs,
                budget=args.budget,
                watch_cycle=lambda cycle_id: watch_cycle(cycle_id, args.timeout),
            )
        if args.pool_rows:
            # The rest is timed in this process and a child; an idle worker would only share the cores.
            stop_worker(worker)
            worker = None
            from alweb.cycles.selectors import active_model_version
            from bench import pool_rows

            pool_rows.run(project=project, version=active_model_version(project=project), count=args.pool_rows)
    finally:
        if worker is not None:
            stop_worker(worker)
        broker.stop()
        if s3_server is not None:
            s3_server.stop()
        if args.database_url:
            from django.db import connections

            connections.close_all()
            drop_postgres_database(args.database_url)
        shutil.rmtree(scratch, ignore_errors=True)


def report(
    started: float,
    seen: dict[str, float],
    *,
    pool: int,
    in_process: float,
    in_process_copies: float | None,
    local_files: float,
    storage: str,
    server_cpu: float,
    epochs: int,
    latency: list[float],
) -> None:
    phases = [
        ("queued -> training", started, seen["training"]),
        ("training", seen["training"], seen["scoring"]),
        ("scoring", seen["scoring"], seen.get("selecting", seen["ready"])),
        ("selecting", seen.get("selecting", seen["ready"]), seen["ready"]),
    ]
    print(
        f"\none cycle, hg-tiny, {epochs} epochs, pool {pool}, files {storage} "
        f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for name, begin, end in phases:
        print(f"  {name:<20} {end - begin:8.1f} s")
    print(f"  {'total':<20} {seen['ready'] - started:8.1f} s")
    scoring_seconds = seen.get("selecting", seen["ready"]) - seen["scoring"]
    through_workers = pool / scoring_seconds
    ratio = through_workers / local_files
    label = "scoring through the workers" + (f" ({storage}, the pool's first reads)" if storage != "local" else "")
    print(f"\n{label:<52} {through_workers:8.1f} images/s")
    if in_process_copies is not None:
        rows = [
            ("score_pool in process, every image from the bucket", in_process),
            ("score_pool in process, this machine's copies", in_process_copies),
        ]
        for name, rate in rows:
            print(f"{name:<52} {rate:8.1f} images/s   ratio to local files {rate / local_files:.2f}")
        print(f"{'  the S3 server on these cores':<52} {server_cpu * 1000:8.1f} ms of CPU per image")
    print(f"{'score_pool in process (local files)':<52} {local_files:8.1f} images/s")
    print(
        f"{'ratio (the workers to local files)':<52} {ratio:8.2f}   (target >= 0.8: {'PASS' if ratio >= 0.8 else 'FAIL'})"
    )
    ordered = sorted(latency)
    p50, p95 = ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.95)] * 1000
    print(
        f"\nPOST /predict/ (hg-tiny, model loaded)  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
        f"   (target p50 < 100 ms: {'PASS' if p50 < 100 else 'FAIL'})"
    )


if __name__ == "__main__":
    main()
