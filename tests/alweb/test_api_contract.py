"""The OpenAPI schema is the contract: Schemathesis drives every operation of a live server with
generated valid and invalid input and checks each answer against the schema."""

import io
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from PIL import Image as PILImage

from tests.live_processes import WebServerProcess, WorkerProcess, wait_for

RUN_SECONDS = 150  # the fuzzing budget; the whole test takes about three minutes


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (seed * 40 % 256, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def seeded_token(transactional_db, admin_user, annotator_user) -> str:
    """A project with images and a label, administered by the user whose token this is."""
    from rest_framework.authtoken.models import Token

    from alweb.annotations.services import annotation_save
    from alweb.images.services import images_ingest
    from alweb.projects.services import membership_set, project_create

    project = project_create(user=admin_user, name="Contract", preset="lsp14")
    membership_set(project=project, username=annotator_user.username, role="annotator")
    results = images_ingest(project=project, files=[(f"p{seed}.png", io.BytesIO(png(seed))) for seed in range(3)])
    annotation_save(image=results[0].image, user=admin_user, keypoints=[[10, 10, 2]] * 14, if_match=None)
    return Token.objects.create(user=admin_user).key


@pytest.fixture
def contract_server(broker, seeded_token, tmp_path):
    """The web server, and a worker with beat, so that cycles run and health answers 200."""
    from alweb.celery import app

    app.control.purge()
    worker = WorkerProcess(tmp_path)
    worker.start()
    # Cycles started by the run ask for at most one epoch; throttles stay at their defaults.
    server = WebServerProcess(tmp_path, CYCLE_MAX_EPOCHS="1")
    server.start()
    try:
        wait_for(lambda: _status(f"{server.url}/api/v1/health/") == 200, timeout=120, worker=worker)
        yield server
    finally:
        server.kill()
        worker.kill(signal.SIGTERM)


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_every_operation_keeps_to_the_schema(contract_server, seeded_token, tmp_path):
    # The run is only worth something if its token opens the project.
    request = urllib.request.Request(
        f"{contract_server.url}/api/v1/projects/", headers={"Authorization": f"Token {seeded_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["results"][0]["name"] == "Contract"
    except urllib.error.HTTPError as error:
        pytest.fail(f"{error.code} {error.read()!r}\n{contract_server.log_tail()}")
    report = tmp_path / "schemathesis.json"
    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{contract_server.url}/api/v1/schema/",
            # Every check but positive_data_acceptance: input valid by the schema is still refused by
            # rules the schema cannot state (a wrong password, a skeleton's keypoint count).
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            # Revoking the token would end the run's authentication.
            "--exclude-operation-id",
            "auth_token_destroy",
            "--header",
            f"Authorization: Token {seeded_token}",
            "--workers",
            "1",
            "--seed",
            "1",
            "--max-examples",
            "15",
            "--max-time",
            str(RUN_SECONDS),
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "too_slow,filter_too_much",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS + 120,
        cwd=tmp_path,  # its cache folder (.schemathesis/) goes there, not into the repository
    )
    elapsed = time.monotonic() - started
    print(run.stdout[-6000:], f"\nschemathesis ran {elapsed:.0f} s")
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:] + contract_server.log_tail()
    summary = json.loads(report.read_text())
    assert summary["operations"]["tested"] == summary["operations"]["selected"]


def test_the_schema_validates_and_documents_every_error_status(tmp_path):
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"429", "503"} <= codes, (method, path)
            if path not in ("/api/v1/health/", "/api/v1/auth/token/"):
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch") and "requestBody" in operation:
                assert {"400", "413", "415"} <= codes, (method, path)
            for code in codes - {"200", "201", "204"}:
                assert "application/json" in operation["responses"][code].get("content", {}), (method, path, code)
    put = paths["/api/v1/images/{image_id}/annotation/"]["put"]["responses"]
    assert put["412"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "428" in put
