"""The data browser's page time at 100,000 images, on PostgreSQL and on SQLite, and its thumbnail time.

Creates a project of N image rows that share a few small stored files (as bench/queue_load.py
does), labels a fifth of them (five annotators), scores every pool image with one model version,
fills the queue with 2,000 of them and records skips on a tenth of those. Then it times whole
requests through Django (middleware, token authentication, the view, the database; no
network) to GET /api/v1/projects/{id}/images/browse/: the first page and a page 90 % deep
for every sort, and the first page of each filter; and GET /api/v1/images/{id}/thumbnail, the
first request (decode and store) and then cached ones; and the grid page itself (HTML, as a
browser asks for it) for three views. Prints median and p95 beside the target.

Each database runs in a child process of its own (Django is set up once per process); the
PostgreSQL bench database and the scratch folder are removed at the end.

    python -m bench.browse
    python -m bench.browse --databases sqlite --images 20000 --repeats 10
"""

import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from PIL import Image as PILImage

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "alweb_bench_browse"
TARGET_MS = 200.0
QUEUED = 2000
ANNOTATORS = 5
PAGE_SIZE = 50


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="postgres,sqlite", help="comma-separated: postgres, sqlite")
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20, help="timed requests per case")
    parser.add_argument("--only", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.only:
        run_one(args)
        return
    for database in args.databases.split(","):
        command = [sys.executable, "-m", "bench.browse", "--only", database, "--images", str(args.images)]
        subprocess.run([*command, "--repeats", str(args.repeats)], cwd=ROOT, check=True)


def run_one(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="alweb-bench-browse-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "alweb.settings.base",
            "ALWEB_VAR_DIR": str(scratch / "var"),
            "ALWEB_STORAGE": "local",
            "MEDIA_ROOT": str(scratch / "media"),
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "insecure-key-for-benchmarks-only"),
            "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}"
            if args.only == "postgres"
            else f"sqlite:///{scratch / 'bench.sqlite3'}",
        }
    )
    if args.only == "postgres":
        database_reset(create=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        project_id, token, annotator = pool_create(images=args.images, media_root=Path(os.environ["MEDIA_ROOT"]))
        print(f"\n{args.only}: {args.images:,} images loaded in {time.perf_counter() - started:.0f} s")
        measure(project_id=project_id, token=token, annotator=annotator, repeats=args.repeats)
    finally:
        from django.db import connections

        connections.close_all()
        if args.only == "postgres":
            database_reset(create=False)
        shutil.rmtree(scratch, ignore_errors=True)


def database_reset(*, create: bool) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if create:
            admin.execute(f"CREATE DATABASE {BENCH_DB}")


def shared_files(media_root: Path) -> list[str]:
    """Three small JPEGs (640x480) that every image row points at."""
    names = []
    for i, colour in enumerate([(200, 40, 40), (40, 200, 40), (40, 40, 200)]):
        out = io.BytesIO()
        PILImage.new("RGB", (640, 480), colour).save(out, "JPEG", quality=90)
        path = media_root / "images" / "bench" / f"shared{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
        names.append(f"images/bench/shared{i}.jpg")
    return names


def pool_create(*, images: int, media_root: Path) -> tuple[int, str, str]:
    """The project and its rows; returns (project id, the admin's token, an annotator's username)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from alweb.annotations.models import Annotation
    from alweb.cycles.models import Cycle, ModelVersion, Score
    from alweb.images.models import Image
    from alweb.projects.services import membership_set, project_create
    from alweb.queue.models import EndedLease, QueueEntry

    rng = random.Random(0)
    users = get_user_model().objects
    admin = users.create_user(username="bench-admin", password="bench-password")
    project = project_create(user=admin, name="Browse bench", preset="lsp14")
    annotators = [users.create_user(username=f"bench-annotator-{i}") for i in range(ANNOTATORS)]
    for user in annotators:
        membership_set(project=project, username=user.username, role="annotator")
    files = shared_files(media_root)
    points = [[100.0 + 10 * i, 200.0, 2] for i in range(14)]
    batch = 5000
    with transaction.atomic():
        rows = []
        for i in range(images):
            split = "train" if i % 20 == 0 else "val" if i % 20 == 1 else "pool"
            labelled = split != "pool" or i % 10 == 2
            rows.append(
                Image(
                    project=project,
                    name=f"img{i}.jpg",
                    file=files[i % len(files)],
                    sha256=f"{i:064x}",
                    content_type="image/jpeg",
                    width=640,
                    height=480,
                    split=split,
                    state="labelled" if labelled else "unlabelled",
                )
            )
        Image.objects.bulk_create(rows, batch_size=batch)
        stored = list(Image.objects.filter(project=project).order_by("id").values_list("id", "split", "state"))
        Annotation.objects.bulk_create(
            [
                Annotation(
                    image_id=pk,
                    instances=[{"bbox": [0, 0, 640, 480], "keypoints": points}],
                    annotator=annotators[pk % ANNOTATORS],
                )
                for pk, _, state in stored
                if state == "labelled"
            ],
            batch_size=batch,
        )
        cycle = Cycle.objects.create(
            project=project, index=1, state="ready", strategy="ll_plus_plus", budget=QUEUED, epochs=1, model_name="hg"
        )
        version = ModelVersion.objects.create(project=project, cycle=cycle, model_name="hg")
        pool = [pk for pk, split, state in stored if split == "pool"]
        losses = {pk: rng.random() for pk in pool}
        Score.objects.bulk_create(
            [
                Score(model_version=version, image_id=pk, predicted_loss=loss, keypoints=[], confidence=[])
                for pk, loss in losses.items()
            ],
            batch_size=batch,
        )
        unlabelled = sorted(
            (pk for pk, split, state in stored if split == "pool" and state == "unlabelled"),
            key=losses.get,
            reverse=True,
        )
        selected = unlabelled[:QUEUED]
        entries = QueueEntry.objects.bulk_create(
            [
                QueueEntry(
                    project=project, cycle=cycle, image_id=pk, rank=rank, predicted_loss=losses[pk], keypoints=[]
                )
                for rank, pk in enumerate(selected, start=1)
            ],
            batch_size=batch,
        )
        Image.objects.filter(pk__in=selected).update(state="queued")
        EndedLease.objects.bulk_create(
            [
                EndedLease(lease_id=uuid.uuid4(), entry=entry, user=annotators[0], reason="skipped")
                for entry in entries[::10]
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return project.id, Token.objects.create(user=admin).key, annotators[1].username


def cases(*, project_id: int, annotator: str) -> list[tuple[str, dict]]:
    """(label, query) pairs: every sort's first page and one 90 % deep, then each filter's first page."""
    from alweb.projects.models import Project

    project = Project.objects.get(pk=project_id)
    found = []
    for sort in ("uploaded", "-uploaded", "-labelled_at", "-predicted_loss", "rank"):
        found.append((f"sort={sort}", {"sort": sort}))
        found.append((f"sort={sort}, 90 % deep", {"sort": sort, "cursor": deep_cursor(project, sort)}))
    for query in ({"state": "labelled"}, {"state": "unlabelled"}, {"state": "queued"}, {"state": "skipped"}):
        found.append((f"state={query['state']}", query))
    found.append(("split=train", {"split": "train"}))
    found.append((f"annotator={annotator}", {"annotator": annotator}))
    found.append(
        (
            "state=labelled, annotator, sort=-labelled_at",
            {"state": "labelled", "annotator": annotator, "sort": "-labelled_at"},
        )
    )
    found.append(("state=skipped, sort=rank", {"state": "skipped", "sort": "rank"}))
    return found


def deep_cursor(project, sort: str) -> str:
    """The cursor 90 % of the way down the listing, from the row found by OFFSET (untimed), in the selector's order."""
    from django.db.models import F

    from alweb.images import browse

    name, descending = sort.removeprefix("-"), sort.startswith("-")
    version_id = browse.latest_scored_version_id(project=project)
    images = browse._filtered(project=project, split=None, state=None, annotator=None, sort=name, version_id=version_id)
    key = browse.SORT_KEYS[name]
    order = [F(field).desc() if descending != against else F(field).asc() for field, against in key]
    ordered = images.order_by(*order).values(sort_value=F(key[0][0]), sort_tiebreak=F(key[-1][0]))
    return browse.cursor_for(sort=sort, row=ordered[int(images.count() * 0.9)])


def timed(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    return times


def summary(label: str, times: list[float], target: float | None = TARGET_MS) -> str:
    p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
    verdict = "" if target is None else ("  ok" if p95 < target else "  OVER TARGET")
    return f"  {label:<48} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms{verdict}"


def measure(*, project_id: int, token: str, annotator: str, repeats: int) -> None:
    from django.test import Client

    from alweb.images.models import Image

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/projects/{project_id}/images/browse/"
    print(f"GET {url}?page_size={PAGE_SIZE}, {repeats} requests each (target: p95 < {TARGET_MS:.0f} ms)")
    for label, query in cases(project_id=project_id, annotator=annotator):
        params = {"page_size": PAGE_SIZE, **query}

        def get(params=params, label=label):
            response = client.get(url, params)
            assert response.status_code == 200, response.content
            assert response.json()["results"], label

        get()  # the first request of a query warms the database's cache
        print(summary(label, timed(get, repeats)))
    measure_grid_page(project_id=project_id, annotator=annotator, repeats=repeats)
    ids = list(Image.objects.filter(project_id=project_id).order_by("id").values_list("id", flat=True)[:repeats])
    first, cached = [], []
    for image_id in ids:
        thumbnail = f"/api/v1/images/{image_id}/thumbnail"

        def get(thumbnail=thumbnail):
            response = client.get(thumbnail)
            assert response.status_code == 200, response.content

        first += timed(get, 1)
        cached += timed(get, 1)
    print("GET /api/v1/images/{id}/thumbnail (640x480 JPEG, 256 px)")
    print(summary("first request (decode, store)", first))
    print(summary("cached (read from storage)", cached))


def measure_grid_page(*, project_id: int, annotator: str, repeats: int) -> None:
    """The grid page itself, as a browser asks for it: rendered on the server, 48 thumbnails a page."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    url = f"/projects/{project_id}/images/"
    wanted = ("sort=uploaded", "sort=-predicted_loss, 90 % deep", "state=labelled, annotator, sort=-labelled_at")
    print(f"GET {url} (the HTML page), {repeats} requests each (target: p95 < {TARGET_MS:.0f} ms)")
    for label, query in cases(project_id=project_id, annotator=annotator):
        if label not in wanted:
            continue

        def get(query=query):
            response = client.get(url, query)
            assert response.status_code == 200, response.content[:500]
            assert b'class="thumb card"' in response.content

        get()
        print(summary(label, timed(get, repeats)))


if __name__ == "__main__":
    main()
