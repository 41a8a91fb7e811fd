"""bench/cycle.py --pool-rows N: a cycle's selection, queue and dashboard at N more pool images.

Scoring a million images is out of reach of a benchmark on a few CPU cores, so the pool
images are generated rows and their scores generated values:

- N Image rows of the project's pool (INSERT ... SELECT generate_series, as bench/queue_load.py
  loads its queue), each with its own sha256 and pointing at one of the few files the seeded
  pool already stored;
- a second cycle, in the selecting state, whose model version has the first cycle's weights,
  the first cycle's real scores of the seeded pool and, for the N rows, generated scores:
  predicted losses Gamma(k=2)-distributed around the real scores' mean (training losses of
  pose networks are Gamma-shaped, see insights/loss_analysis.py), entropies uniform in [0, 3],
  the keypoints and confidences of a real score.

Then the stages a cycle runs after scoring are timed at full size, through the product's
own functions: ranking.selection_entries (what the selecting task computes) and
services.cycle_selection_complete (the queue rebuild it then writes), both in a fresh Python
process that imports what a worker imports, so that its peak resident memory (VmHWM in
/proc/self/status) is the selection's; the cycle-start API asked for core-set; and the
dashboard's three reads through Django's test client (the whole request stack, in process).
"""

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from bench.queue_pool import secondary_indexes_drop

ROOT = Path(__file__).resolve().parent.parent
SHARED_FILES = 8
GAMMA_K = 2
SELECT_TARGET_S = 10.0
REBUILD_TARGET_S = 10.0
CORESET_TARGET_S = 60.0
READ_TARGET_MS = 200.0
READ_REPEATS = 7
# Core-set's selector alone is timed at the cap on features of this width (the loss head's
# input width), to show what the cap leaves a worker.
CORESET_FEATURE_WIDTH = 256


def pool_rows_add(*, project, version, count: int) -> int:
    """Add `count` generated pool images and a second cycle, selecting, scored over the whole pool; its id."""
    from django.db import connection
    from django.utils import timezone

    from alweb.cycles.models import Cycle, ModelVersion, Score
    from alweb.images.models import Image

    pool = Image.objects.filter(project=project, split="pool").order_by("id")
    files = list(pool.values_list("file", flat=True)[:SHARED_FILES])
    template = pool.first()
    real = Score.objects.filter(model_version=version)
    template_score = real.first()
    theta = float(np.mean(list(real.values_list("predicted_loss", flat=True)))) / GAMMA_K
    cycle = Cycle.objects.create(
        project=project,
        index=Cycle.objects.filter(project=project).count() + 1,
        state=Cycle.State.SELECTING,
        strategy="ll_plus_plus",
        budget=1000,
        epochs=1,
        audit_fraction=0.1,
        model_name=version.model_name,
        # Well ahead, so that the worker's recovery never takes the cycle over.
        lease_expires_at=timezone.now() + timedelta(hours=6),
    )
    scored = ModelVersion.objects.create(
        project=project,
        cycle=cycle,
        model_name=version.model_name,
        checkpoint=version.checkpoint.name,
        metrics=version.metrics,
    )
    image_columns = [f.column for f in Image._meta.concrete_fields if not f.primary_key]
    overrides = {
        "name": "'pool-row-' || g || '.png'",
        "file": f"(%s::text[])[1 + g %% {len(files)}]",
        # Not hex, so never a real image's digest.
        "sha256": "'r' || lpad(to_hex(g), 63, '0')",
        "split": "'pool'",
        "state": "'unlabelled'",
        "created_at": "now()",
    }
    select = ", ".join(overrides.get(column, f"t.{column}") for column in image_columns)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        first_new = Image.objects.order_by("-id").values_list("id", flat=True).first() + 1
        recreate = secondary_indexes_drop(cursor, ["images_image", "cycles_score"])
        # Foreign-key triggers off: the rows are consistent by construction.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"INSERT INTO images_image ({', '.join(image_columns)}) SELECT {select} "
            "FROM images_image t, generate_series(1, %s) g WHERE t.id = %s",
            [files, count, template.id],
        )
        cursor.execute(
            "INSERT INTO cycles_score (model_version_id, image_id, predicted_loss, entropy, keypoints, confidence, "
            "instances) SELECT %s, image_id, predicted_loss, entropy, keypoints, confidence, instances "
            "FROM cycles_score WHERE model_version_id = %s",
            [scored.id, version.id],
        )
        # A sum of GAMMA_K exponentials is Gamma(GAMMA_K, theta).
        gamma = " + ".join(["-ln(1 - random())"] * GAMMA_K)
        cursor.execute(
            "INSERT INTO cycles_score (model_version_id, image_id, predicted_loss, entropy, keypoints, confidence, "
            f"instances) SELECT %s, id, ({gamma}) * %s, 3 * random(), %s::jsonb, %s::jsonb, '[]'::jsonb "
            "FROM images_image WHERE project_id = %s AND id >= %s",
            [
                scored.id,
                theta,
                json.dumps(template_score.keypoints),
                json.dumps(template_score.confidence),
                project.id,
                first_new,
            ],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        for statement in recreate:
            cursor.execute(statement)
        # The images were uploaded long before, and vacuumed since; the scores are as fresh as right
        # after scoring: analysed (for the planner) but not vacuumed, so that selection's
        # index-only scan still visits the rows' pages, as it would then.
        for table in ("images_image", "annotations_annotation", "queue_queueentry"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE cycles_score")
    return cycle.id


def selection_in_fresh_process() -> None:
    """`python -m bench.pool_rows select CYCLE_ID`: time selection and queue rebuild; print JSON with VmHWM."""
    import django

    django.setup()
    # What the selecting task's process has imported before it selects (torch included).
    from alweb.cycles import services
    from alweb.cycles.models import Cycle, ModelVersion
    from alweb.cycles.ranking import selection_entries

    cycle_id = int(sys.argv[2])
    cycle = Cycle.objects.select_related("project").get(pk=cycle_id)
    version = ModelVersion.objects.get(cycle=cycle)
    before = memory_kib()
    started = time.perf_counter()
    entries = selection_entries(cycle=cycle, version=version)
    selected = time.perf_counter()
    during = memory_kib()
    completed = services.cycle_selection_complete(cycle_id=cycle_id, version=version, entries=entries)
    rebuilt = time.perf_counter()
    print(
        json.dumps(
            {
                "select_s": selected - started,
                "rebuild_s": rebuilt - selected,
                "entries": len(entries),
                "audit": sum(entry["is_audit"] for entry in entries),
                "completed": completed,
                "rss_before_kib": before["VmRSS"],
                "hwm_before_kib": before["VmHWM"],
                "hwm_selection_kib": during["VmHWM"],
            }
        )
    )


def memory_kib() -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of this process, in KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def run(*, project, version, count: int) -> None:
    """Add the rows, then time every stage at full size and print each figure beside its target."""
    from django.db import connections

    from alweb.images.models import Image

    started = time.perf_counter()
    cycle_id = pool_rows_add(project=project, version=version, count=count)
    pool = Image.objects.filter(project=project, split="pool").count()
    print(f"\n--pool-rows {count:,}: {pool:,} pool images in all, added in {time.perf_counter() - started:.1f} s")
    print(
        "  sampled: training and scoring ran above on the seeded pool only; the added rows carry generated\n"
        "  scores (Gamma(2) losses). Full size: selection, queue rebuild, the core-set check and the\n"
        "  dashboard's reads below; the scores are analysed but not vacuumed, as right after scoring."
    )
    connections.close_all()
    child = subprocess.run(
        [sys.executable, "-m", "bench.pool_rows", "select", str(cycle_id)],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"selection failed:\n{child.stderr[-3000:]}")
    timing = json.loads(child.stdout.strip().splitlines()[-1])
    if not timing["completed"]:
        raise SystemExit("the selection did not complete the cycle")
    load = os.getloadavg()
    print(
        f"\nat {pool:,} pool images on {connections['default'].vendor} (load {load[0]:.2f} on {os.cpu_count()} cores)"
    )
    verdict_row("select, LL++ top-k, budget 1,000 (ranking.selection_entries)", timing["select_s"], SELECT_TARGET_S)
    print(f"    {timing['entries']:,} queue entries ({timing['audit']} of them the audit sample)")
    verdict_row("rebuild the queue (services.cycle_selection_complete)", timing["rebuild_s"], REBUILD_TARGET_S)
    print(
        f"  worker memory during selection: peak RSS (VmHWM) {timing['hwm_selection_kib'] / 1024:.0f} MiB, "
        f"{(timing['hwm_selection_kib'] - timing['hwm_before_kib']) / 1024:.0f} MiB over the "
        f"{timing['hwm_before_kib'] / 1024:.0f} MiB of a fresh process with the worker's imports"
    )
    coreset(project=project)
    dashboard(project=project, cycle_id=cycle_id)


def verdict_row(name: str, seconds: float, target_s: float) -> None:
    verdict = "PASS" if seconds < target_s else "FAIL"
    print(f"  {name:<66} {seconds:7.2f} s   (target < {target_s:g} s: {verdict})")


def coreset(*, project) -> None:
    """POST a core-set cycle: refused above the cap; and the selector alone timed at the cap."""
    from django.conf import settings
    from django.test import Client

    from ml.strategies import select

    client = Client()
    client.force_login(project.created_by)
    started = time.perf_counter()
    response = client.post(
        f"/api/v1/projects/{project.id}/cycles/",
        {"strategy": "coreset", "budget": 1000},
        content_type="application/json",
    )
    seconds = time.perf_counter() - started
    cap = settings.CYCLE_CORESET_MAX_POOL
    refused = response.status_code == 400
    print(
        f"  core-set cycle start (POST /cycles/, CYCLE_CORESET_MAX_POOL {cap:,}) answered {response.status_code} "
        f"in {seconds * 1000:.0f} ms   (target: refused with a message: {'PASS' if refused else 'FAIL'})"
    )
    print(f"    {response.json().get('strategy', response.json())}")
    features = np.random.default_rng(0).standard_normal((cap, CORESET_FEATURE_WIDTH), dtype=np.float32)
    started = time.perf_counter()
    select("coreset", budget=1000, features=features, seed=1)
    verdict_row(
        f"  core-set selector alone at the cap ({cap:,} x {CORESET_FEATURE_WIDTH} generated features)",
        time.perf_counter() - started,
        CORESET_TARGET_S,
    )


def dashboard(*, project, cycle_id: int) -> None:
    """The dashboard's three reads through Django's test client, with outcomes recorded for the selection."""
    from django.db import connection
    from django.test import Client

    with connection.cursor() as cursor:
        # As if every queued image had been labelled and measured: the scatter's most points.
        cursor.execute(
            "UPDATE queue_queueentry SET realized_loss = predicted_loss * (0.5 + random()), pck = random() "
            "WHERE cycle_id = %s",
            [cycle_id],
        )
    client = Client()
    client.force_login(project.created_by)
    print(
        f"  dashboard reads through Django's test client (in process, whole request stack): "
        f"median of {READ_REPEATS} after one unmeasured"
    )
    for url in (
        f"/api/v1/projects/{project.id}/overview/",
        f"/api/v1/projects/{project.id}/loss-analysis/",
        f"/api/v1/cycles/{cycle_id}/scatter/",
    ):
        timings = []
        for repeat in range(READ_REPEATS + 1):
            started = time.perf_counter()
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]}")
            if repeat:
                timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings)
        verdict = "PASS" if median < READ_TARGET_MS else "FAIL"
        print(
            f"    GET {url:<44} median {median:6.1f} ms  max {max(timings):6.1f} ms   "
            f"(target < {READ_TARGET_MS:g} ms: {verdict})"
        )
    body = client.get(f"/api/v1/cycles/{cycle_id}/scatter/").json()
    print(f"    scatter: {len(body['points'])} points of {body.get('measured', len(body['points']))} measured images")


if __name__ == "__main__" and sys.argv[1:2] == ["select"]:
    selection_in_fresh_process()
