"""Peak memory (RSS) of the web process while it refuses an oversized body, ingests a large zip,
parses a large COCO import and streams a 100,000-image export.

Starts uvicorn (one process, as the Dockerfile runs it) on a free 127.0.0.1 port on the
embedded default in a temporary folder (SQLite, a private redis-server), samples the
server's RSS every 10 ms from /proc and prints, per request, the RSS before it and the
peak during it.

    python -m bench.memory_bounds
    python -m bench.memory_bounds --images 100000 --zip-members 200
"""

import argparse
import hashlib
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import psutil
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


class PeakRss:
    """Sample a process's resident memory in a thread; `measure()` gives (before, peak) around a block."""

    def __init__(self, pid: int):
        self.process, self.peak, self.running = psutil.Process(pid), 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def measure(self, action) -> tuple[int, int, object]:
        time.sleep(0.2)
        before = self.process.memory_info().rss
        self.peak = before
        result = action()
        time.sleep(0.2)
        return before, self.peak, result

    def stop(self) -> None:
        self.running = False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send_until_answered(port: int, path: str, headers: str, body_chunks) -> tuple[str, int]:
    """Send a request body until the server answers; return the status line and the bytes sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
        for chunk in body_chunks:
            readable, _, _ = select.select([connection], [], [], 0)
            if readable:
                break
            try:
                connection.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = connection.recv(65536).decode(errors="replace")
    return answer.split("\r\n", 1)[0], sent


def noise_jpegs(count: int) -> list[bytes]:
    rng = np.random.default_rng(1)
    images = []
    for _ in range(count):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=90)
        images.append(buffer.getvalue())
    return images


def setup(env: dict, images: int) -> tuple[str, int]:
    """Migrate, and make an admin, its token and a project of `images` labelled image rows; return (token, id)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from alweb.annotations.models import Annotation
    from alweb.images.models import Image as ImageRow
    from alweb.projects.services import project_create

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(username="bench", password="bench-password")
    token = Token.objects.create(user=user).key
    project = project_create(user=user, name="Large", preset="lsp14")
    points = [[float(10 + j), float(20 + j), 2] for j in range(14)]
    for start in range(0, images, 10_000):
        stop = min(start + 10_000, images)
        rows = ImageRow.objects.bulk_create(
            ImageRow(
                project=project,
                name=f"{i:06d}.jpg",
                file=f"images/{i:06d}.jpg",
                sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                content_type="image/jpeg",
                width=640,
                height=480,
                state="labelled",
            )
            for i in range(start, stop)
        )
        label = [{"bbox": [0.0, 0.0, 640.0, 480.0], "keypoints": points}]
        Annotation.objects.bulk_create(Annotation(image=row, instances=label, annotator=user) for row in rows)
    return token, project.id


def start_server(env: dict, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "alweb.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit("the server did not answer")


def run(args, work: Path) -> list[tuple]:
    from alweb.embedded_redis import EmbeddedRedis

    var = work / "var"
    (var / "static").mkdir(parents=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "alweb.settings.base",
        "SECRET_KEY": "insecure-key-for-benchmarks-only",
        "ALWEB_VAR_DIR": str(var),
        "MEDIA_ROOT": str(work / "media"),
        "LOG_LEVEL": "WARNING",
        "THROTTLE_UPLOAD": "",
        "COCO_IMPORT_MAX_IMAGES": str(args.images),
        "COCO_IMPORT_MAX_ANNOTATIONS": str(args.images),
    }
    print(f"making a project of {args.images:,} labelled image rows ...", flush=True)
    token, project_id = setup(env, args.images)
    print(f"generating {args.zip_members} noise JPEGs 640x480 ...", flush=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        for index, data in enumerate(noise_jpegs(args.zip_members)):
            zipped.writestr(f"photos/{index:04d}.jpg", data)
    archive = archive.getvalue()
    rows = []
    with EmbeddedRedis(var):
        port = free_port()
        base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Token {token}"}
        server = start_server(env, port)
        try:
            wait_for(f"{base}/api/v1/health/", server)
            requests.get(f"{base}/api/v1/projects/", headers=auth, timeout=30)
            sampler = PeakRss(server.pid)

            def oversized():
                headers = f"Content-Type: application/json\r\nContent-Length: {15 * MiB}\r\n"
                chunks = (b"x" * 65536 for _ in range(15 * 16))
                return send_until_answered(port, "/api/v1/auth/token/", headers, chunks)

            before, peak, (status, sent) = sampler.measure(oversized)
            rows.append(("15 MiB JSON body to /auth/token/", before, peak, f"{status}; {sent / MiB:.1f} MiB sent"))

            def chunked():
                piece = b"x" * 65536
                chunks = (b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(15 * 16))
                headers = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                return send_until_answered(port, "/api/v1/projects/", headers, chunks)

            before, peak, (status, sent) = sampler.measure(chunked)
            rows.append(("15 MiB chunked body to /projects/", before, peak, f"{status}; {sent / MiB:.1f} MiB sent"))

            def upload():
                response = requests.post(
                    f"{base}/api/v1/projects/{project_id}/images/",
                    headers=auth,
                    files=[("files", ("photos.zip", archive, "application/zip"))],
                    timeout=600,
                )
                created = sum(r["status"] == "created" for r in response.json()["results"])
                return f"{response.status_code}; {created} images created"

            before, peak, note = sampler.measure(upload)
            rows.append((f"zip upload, {args.zip_members} JPEGs, {len(archive) / MiB:.0f} MiB", before, peak, note))

            export_file = work / "export.json"

            def export():
                with (
                    requests.get(
                        f"{base}/api/v1/projects/{project_id}/export/?format=coco",
                        headers=auth,
                        stream=True,
                        timeout=600,
                    ) as response,
                    open(export_file, "wb") as out,
                ):
                    for chunk in response.iter_content(256 * 1024):
                        out.write(chunk)
                return f"{response.status_code}; {export_file.stat().st_size / MiB:.0f} MiB streamed"

            before, peak, note = sampler.measure(export)
            rows.append((f"COCO export, {args.images:,} images and labels", before, peak, note))

            document = json.loads(export_file.read_bytes())
            for image in document["images"]:
                image["width"] += 1  # every size is wrong: the whole file is parsed and matched, nothing stored
            coco = json.dumps(document).encode()
            del document

            def coco_import():
                response = requests.post(
                    f"{base}/api/v1/projects/{project_id}/import/",
                    headers=auth,
                    files={"annotations": ("coco.json", coco, "application/json")},
                    timeout=600,
                )
                return f"{response.status_code} (sizes refused after the whole file was parsed and matched)"

            before, peak, note = sampler.measure(coco_import)
            rows.append((f"COCO import, {args.images:,} images, {len(coco) / MiB:.0f} MiB", before, peak, note))
            sampler.stop()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000, help="labelled images of the exported project")
    parser.add_argument("--zip-members", type=int, default=200, help="JPEGs in the uploaded zip")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="alweb-bench-memory-"))
    try:
        rows = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'request':<44} {'RSS before':>11} {'peak RSS':>9} {'growth':>8}  answer")
    for name, before, peak, note in rows:
        print(f"{name:<44} {before / MiB:>8.0f} MiB {peak / MiB:>5.0f} MiB {(peak - before) / MiB:>4.0f} MiB  {note}")


if __name__ == "__main__":
    main()
