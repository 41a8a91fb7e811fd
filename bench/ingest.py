"""Image ingest and pool listing speed through the REST API of a real server on PostgreSQL.

Starts uvicorn on a free 127.0.0.1 port against a bench database it creates (and drops at
exit, Ctrl-C included), uploads N generated 640x480 JPEGs as multipart batches and as zip
archives, then inserts 100,000 image rows and times the pool listing and the counts.

    python -m bench.ingest
    python -m bench.ingest --images 500 --rows 20000 --workers 1

Reads are also timed in this process (Django's test client on the same database, no
server, no socket), which separates the endpoints' own cost from the server's.
"""

import argparse
import base64
import hashlib
import io
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psycopg
import requests
from PIL import Image, ImageDraw, ImageFilter

from bench import nodelay_server

ROOT = Path(__file__).resolve().parents[1]

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "alweb_bench_ingest"
TARGET_IMAGES_PER_S = 300
TARGET_PAGE_MS = 50
TARGET_COUNTS_MS = 200


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="JPEGs uploaded per upload mode")
    parser.add_argument("--batch", type=int, default=100, help="files per multipart request")
    parser.add_argument("--zip-members", type=int, default=250, help="images per zip archive")
    parser.add_argument("--rows", type=int, default=100_000, help="image rows for the listing and counts")
    parser.add_argument("--repeats", type=int, default=30, help="timed requests per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=2, help="concurrent upload requests")
    parser.add_argument("--pool", type=int, default=0, help="database connections pooled per server worker; 0: none")
    return parser.parse_args()


def generate_jpegs(count: int) -> list[bytes]:
    """640x480 photo-like JPEGs (textured background, coloured shapes), each different."""
    rng = np.random.default_rng(0)
    texture = Image.fromarray(rng.integers(0, 256, (480 + 64, 640 + 64, 3), dtype=np.uint8))
    texture = texture.filter(ImageFilter.GaussianBlur(2))
    images = []
    for index in range(count):
        rnd = random.Random(index)
        dx, dy = rnd.randrange(64), rnd.randrange(64)
        image = texture.crop((dx, dy, dx + 640, dy + 480))
        draw = ImageDraw.Draw(image)
        for _ in range(25):
            x, y = rnd.randrange(640), rnd.randrange(480)
            colour = tuple(rnd.randrange(256) for _ in range(3))
            draw.ellipse((x, y, x + rnd.randrange(10, 200), y + rnd.randrange(10, 200)), fill=colour)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        images.append(out.getvalue())
    return images


def zip_archives(images: list[bytes], members: int) -> list[bytes]:
    archives = []
    for start in range(0, len(images), members):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for index, data in enumerate(images[start : start + members], start):
                archive.writestr(f"shoot/{index:06d}.jpg", data)
        archives.append(out.getvalue())
    return archives


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_database(sql: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_projects(names: list[str]):
    """An admin user, its token, and one lsp14 project per name."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from alweb.projects.services import project_create

    user = get_user_model().objects.create_user(username="bench", password="bench-password")
    token = Token.objects.create(user=user).key
    return token, [project_create(user=user, name=name, preset="lsp14") for name in names]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    command = nodelay_server.command(python=sys.executable, port=port, workers=workers)
    # Its own process group, so that the workers go down with it.
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def wait_until_warm(token: str, url: str, server: subprocess.Popen, workers: int) -> None:
    """Wait until every worker answers fast: each imports the URLconf on its first request."""
    headers = {"Authorization": f"Token {token}"}

    def timed_get(_):
        start = time.perf_counter()
        try:
            requests.get(url, headers=headers, timeout=60).raise_for_status()
        except requests.ConnectionError:
            time.sleep(0.5)
            return float("inf")
        return time.perf_counter() - start

    deadline = time.monotonic() + 180
    with ThreadPoolExecutor(4 * workers) as pool:
        while max(pool.map(timed_get, range(8 * workers))) > 0.5:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("The server did not start, or stayed slow, within 3 minutes.")


def upload_all(token: str, url: str, requests_files: list[list[tuple]], clients: int) -> tuple[float, int]:
    """POST every request's files, `clients` at a time; return (seconds, images created)."""
    headers = {"Authorization": f"Token {token}"}

    def post(files):
        response = requests.post(url, files=files, data={"split": "pool"}, headers=headers, timeout=600)
        if response.status_code != 201:
            raise SystemExit(f"Upload failed: {response.status_code} {response.text[:300]}")
        return sum(result["status"] == "created" for result in response.json()["results"])

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        created = sum(pool.map(post, requests_files))
    return time.perf_counter() - start, created


def insert_rows(project, count: int) -> None:
    """Bulk-insert image rows (no files): 80% unlabelled, mostly in the pool."""
    from django.db import connection

    from alweb.images.models import Image

    rnd = random.Random(1)
    for start in range(0, count, 5000):
        Image.objects.bulk_create(
            Image(
                project=project,
                name=f"{i:06d}.jpg",
                file=f"images/{project.pk}/{i:06d}.jpg",
                sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                content_type="image/jpeg",
                width=640,
                height=480,
                state=rnd.choices(["unlabelled", "queued", "labelled"], [8, 1, 1])[0],
                split=rnd.choices(["pool", "train", "val"], [18, 1, 1])[0],
            )
            for i in range(start, min(start + 5000, count))
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE images_image")


def deep_cursor(project, query: dict, depth: int) -> str:
    """The cursor DRF would hand out after `depth` images of the listing (ordering by id)."""
    from alweb.images.selectors import image_rows

    position = image_rows(project=project, **query).order_by("id").values_list("id", flat=True)[depth - 1]
    return base64.b64encode(f"p={position}".encode()).decode()


def time_requests(session: requests.Session, base: str, paths: dict[str, str], repeats: int) -> dict:
    """Milliseconds per request over HTTP and, for comparison, in this process (no server, no socket).

    Each phase interleaves the endpoints, so that the shared machine's noise hits them alike;
    the phases run apart, so that this process's own work never sits between two HTTP requests.
    """
    from django.test import Client

    local = Client(HTTP_AUTHORIZATION=session.headers["Authorization"])
    timings = {}
    for where, get in (("http", lambda path: session.get(base + path, timeout=30)), ("local", local.get)):
        for round_ in range(repeats + 2):
            for name, path in paths.items():
                start = time.perf_counter()
                response = get(path)
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.content[:300]}")
                if round_ >= 2:  # the first two warm up connections and caches
                    timings.setdefault((name, where), []).append(elapsed)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(args, work: Path) -> list[tuple]:
    env = {
        "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}",
        "DJANGO_SETTINGS_MODULE": "alweb.settings.base",
        # A private run, not a deployment; it uploads faster than the default upload limit allows.
        "SECRET_KEY": os.environ.get("SECRET_KEY", "insecure-key-for-benchmarks-only"),
        "THROTTLE_UPLOAD": "",
        "MEDIA_ROOT": str(work / "media"),
        "ALWEB_VAR_DIR": str(work / "var"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "UPLOAD_MAX_FILES": str(max(1000, args.batch, args.zip_members)),
        "LOG_LEVEL": "WARNING",
    }
    (work / "var" / "static").mkdir(parents=True)
    print(f"generating {args.images:,} JPEGs 640x480 ...", flush=True)
    images = generate_jpegs(args.images)
    print(f"  mean size {statistics.mean(map(len, images)) / 1024:.0f} KiB", flush=True)
    admin_database(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin_database(f'CREATE DATABASE "{BENCH_DB}"')
    setup_django(env)
    token, projects = make_projects(["multipart", "zip", "rows"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = {**env, "DATABASE_POOL_SIZE": str(args.pool)} if args.pool else env
    server = start_server(server_env, port, args.workers)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        wait_until_warm(token, f"{base}/api/v1/projects/", server, args.workers)
        rows = [("load at start", load_average(), "", "")]
        rows += ingest_rows(args, base, token, images, projects[:2], server.pid)
        assert sum(path.is_file() for path in (work / "media").rglob("*")) == 2 * len(images)
        rows += read_rows(args, base, session, projects[2])
        return rows + [("load at end", load_average(), "", "")]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def group_cpu_seconds(pgid: int) -> float:
    """User plus system CPU seconds spent so far by the processes of a process group (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def ingest_rows(args, base: str, token: str, images: list[bytes], projects: list, server_pgid: int) -> list[tuple]:
    """Upload every image as multipart batches into one project, then as zips into another.

    Besides the rate, the server's CPU time per image: what the machine's load does not change.
    """
    batches = [
        [
            ("files", (f"{i:06d}.jpg", images[i], "image/jpeg"))
            for i in range(start, min(start + args.batch, len(images)))
        ]
        for start in range(0, len(images), args.batch)
    ]
    zips = [
        [("files", (f"shoot-{i}.zip", data, "application/zip"))]
        for i, data in enumerate(zip_archives(images, args.zip_members))
    ]
    rows = []
    for label, requests_files, project in (
        (f"ingest multipart, {args.batch}/request", batches, projects[0]),
        (f"ingest zip, {args.zip_members}/archive", zips, projects[1]),
    ):
        cpu = group_cpu_seconds(server_pgid)
        seconds, created = upload_all(
            token, f"{base}/api/v1/projects/{project.pk}/images/", requests_files, args.clients
        )
        cpu_ms = (group_cpu_seconds(server_pgid) - cpu) / len(images) * 1000
        assert created == len(images), f"{created} of {len(images)} created"
        rate = len(images) / seconds
        value = f"{rate:,.0f} images/s (server CPU {cpu_ms:.2f} ms/image)"
        rows.append((label, value, f">= {TARGET_IMAGES_PER_S}", rate >= TARGET_IMAGES_PER_S))
    return rows


def read_rows(args, base: str, session: requests.Session, project) -> list[tuple]:
    """Time the pool listing (first page, a deep page) and the counts over a project of many rows."""
    print(f"inserting {args.rows:,} image rows ...", flush=True)
    insert_rows(project, args.rows)
    pool = {"state": "unlabelled", "split": "pool"}
    listing = f"/api/v1/projects/{project.pk}/images/?state=unlabelled&split=pool"
    depth = min(50_000, args.rows // 2)
    paths = {
        "pool listing, first page": listing,
        f"pool listing, page after {depth:,}": f"{listing}&cursor={deep_cursor(project, pool, depth)}",
        "counts by state and split": f"/api/v1/projects/{project.pk}/images/counts/",
    }
    timings = time_requests(session, base, paths, args.repeats)
    rows = []
    for name in paths:
        target = TARGET_COUNTS_MS if name.startswith("counts") else TARGET_PAGE_MS
        http, local = timings[name, "http"], timings[name, "local"]
        median = statistics.median(http)
        value = f"{median:.1f} ms (p95 {p95(http):.1f}; in-process {statistics.median(local):.1f})"
        rows.append((name, value, f"< {target} ms", median < target))
    return rows


def print_table(args, rows: list[tuple]) -> None:
    pool = f"{args.pool} pooled connections each" if args.pool else "no connection pool"
    print(
        f"\n{args.images:,} images per mode, {args.rows:,} rows, {args.workers} uvicorn workers ({pool}), "
        f"{args.clients} concurrent clients, {args.repeats} timed requests per endpoint (PASS on the HTTP median)"
    )
    for name, value, target, passed in rows:
        if target == "":
            print(f"  {name}: {value}")
        else:
            print(f"  {name:<34} {value:<44} {target:<10} {'PASS' if passed else 'FAIL'}")


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    # A plain kill stops the run like Ctrl-C does, so that the cleanup below runs.
    signal.signal(signal.SIGTERM, interrupt)
    work = Path(tempfile.mkdtemp(prefix="alweb-bench-ingest-"))
    try:
        print_table(args, run(args, work))
    except KeyboardInterrupt:
        print("\ninterrupted; removing the bench database and files", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            connections.close_all()
        admin_database(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
