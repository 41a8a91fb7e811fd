"""POST /predict/ against a real web server process, on a quiet machine and while a worker trains.

Used by bench/cycle.py: the web server is uvicorn in its own process, as `make demo` runs it,
so the inference threads it uses (WEB_TORCH_THREADS) and the worker's (WORKER_NICE) meet on
the same cores as they would in the demo.
"""

import io
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from PIL import Image as PILImage

from bench.web_server import free_port, server_stop

ROOT = Path(__file__).resolve().parent.parent
# Between two predictions of the load: an annotator's tool asking about a few images a second.
LOAD_PAUSE_S = 0.25
READY_TIMEOUT_S = 120


class WebServer:
    """uvicorn serving the app on a free loopback port, with this process's environment."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "w")  # noqa: SIM115 - open for the server's whole life, closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "alweb.asgi:application", "--port", str(self.port), "--lifespan", "off"],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the web server exited with {self.process.returncode}; see {self._log.name}")
            try:
                requests.get(self.url + "/api/v1/health/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.3)
        raise SystemExit("the web server did not answer in time")

    def stop(self) -> None:
        server_stop(self.process)
        self._log.close()


def probe_images(count: int) -> list[bytes]:
    """PNG files of generated figures the model has not seen."""
    from ml import synthetic

    images = []
    for pixels in synthetic.generate(count, seed=99, size=128).images:
        buffer = io.BytesIO()
        PILImage.fromarray(pixels).save(buffer, format="PNG")
        images.append(buffer.getvalue())
    return images


class Predictor:
    """Sends predictions for one project with a user's API token; records each one's seconds."""

    def __init__(self, *, url: str, project_id: int, token: str, images: list[bytes]):
        self.endpoint = f"{url}/api/v1/projects/{project_id}/predict/"
        self.headers = {"Authorization": f"Token {token}"}
        self.images = images
        self.sent = 0

    def predict(self) -> float:
        image = self.images[self.sent % len(self.images)]
        self.sent += 1
        started = time.perf_counter()
        response = requests.post(
            self.endpoint, headers=self.headers, files={"file": (f"probe-{self.sent}.png", image)}, timeout=60
        )
        if response.status_code != 200:
            raise SystemExit(f"predict answered {response.status_code}: {response.text[:200]}")
        return time.perf_counter() - started

    def sequence(self, count: int) -> list[float]:
        self.predict()  # the first request loads the model into the web server
        return [self.predict() for _ in range(count)]


class PredictionLoad(threading.Thread):
    """Predictions one after another, LOAD_PAUSE_S apart, until stop(): what annotators do while a cycle trains."""

    def __init__(self, predictor: Predictor):
        super().__init__(daemon=True)
        self.predictor, self.seconds = predictor, []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.seconds.append(self.predictor.predict())
            self._stop_event.wait(LOAD_PAUSE_S)

    def stop(self) -> list[float]:
        self._stop_event.set()
        self.join(timeout=120)
        return self.seconds


def percentiles_ms(seconds: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
