"""bench/cycle.py's timings of /predict/: in process through Django's request stack, and over HTTP to a
web server process idle and while a cycle trains, with the training throughput each way."""

import os
import time
from collections.abc import Callable
from pathlib import Path


def predict_latency(project, *, requests: int = 30) -> list[float]:
    """Seconds per POST /predict/ through Django's full request stack, model already loaded."""
    import io

    from django.contrib.auth import get_user_model
    from django.test import Client
    from PIL import Image as PILImage

    from ml import synthetic

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    sample = synthetic.generate(requests + 1, seed=99, size=128)
    timings = []
    for index, pixels in enumerate(sample.images):
        upload = io.BytesIO()
        PILImage.fromarray(pixels).save(upload, format="PNG")
        upload.seek(0)
        upload.name = f"probe-{index}.png"
        started = time.perf_counter()
        response = client.post(f"/api/v1/projects/{project.id}/predict/", {"file": upload})
        if response.status_code != 200:
            raise SystemExit(f"predict answered {response.status_code}: {response.content[:200]}")
        if index:  # the first request loads the model
            timings.append(time.perf_counter() - started)
    return timings


def predict_under_training(
    project, scratch: Path, *, epochs: int, budget: int, watch_cycle: Callable[[int], dict[str, float]]
) -> None:
    """/predict/ over HTTP idle and while a cycle trains; training throughput without and with it.

    Two more cycles of the same size train on the same images (each warm-started, as every later
    cycle is); the second one with a prediction every LOAD_PAUSE_S from a web server process.
    watch_cycle(cycle_id) waits for the cycle to end and returns when it entered each phase.
    """
    from rest_framework.authtoken.models import Token

    from alweb.cycles.services import cycle_start
    from bench.predict_load import LOAD_PAUSE_S, PredictionLoad, Predictor, WebServer, percentiles_ms, probe_images

    server = WebServer(scratch / "web.log")
    try:
        server.wait_ready()
        token, _ = Token.objects.get_or_create(user=project.created_by)
        predictor = Predictor(url=server.url, project_id=project.id, token=token.key, images=probe_images(40))
        idle = predictor.sequence(30)

        def training_seconds(load: PredictionLoad | None) -> float:
            cycle = cycle_start(
                project=project, strategy="ll_plus_plus", budget=budget, epochs=epochs, model_name="hg-tiny"
            )
            if load is not None:
                load.start()
            seen = watch_cycle(cycle.id)
            return seen["scoring"] - seen["training"]

        quiet = training_seconds(None)
        load = PredictionLoad(predictor)
        loaded = training_seconds(load)
        during = load.stop()
    finally:
        server.stop()
    images = project.images.filter(split="train").count() * epochs
    drop = 1 - quiet / loaded
    print(
        f"\nPOST /predict/ over HTTP to a web server process (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for (
        name,
        seconds,
    ) in (("idle", idle), (f"while a cycle trains, every {LOAD_PAUSE_S} s", during)):
        p50, p95 = percentiles_ms(seconds)
        verdict = "PASS" if p50 < 100 and p95 < 250 else "FAIL"
        print(
            f"  {name:<36} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  n {len(seconds):3d}  (target p50 < 100, p95 < 250: {verdict})"
        )
    print(f"  training without predictions        {images / quiet:6.1f} images/s ({quiet:.1f} s)")
    print(f"  training with predictions           {images / loaded:6.1f} images/s ({loaded:.1f} s)")
    print(
        f"  throughput lost                     {drop * 100:6.1f} %   (target <= 20 %: {'PASS' if drop <= 0.2 else 'FAIL'})"
    )
