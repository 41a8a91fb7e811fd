"""The deployment files: docker-compose.yml validates and wires the services as documented.

`docker-compose config` (Debian's docker-compose) checks the file without a Docker engine.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "redis", "web", "worker-cpu", "worker-gpu", "beat"}

requires_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose is not installed (apt-get install --no-install-recommends docker-compose; .ci/run does)",
)


def compose_config(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "POSTGRES_PASSWORD")}
    environment.update(env)
    return subprocess.run(
        ["docker-compose", "--project-directory", str(REPO), "-f", str(REPO / "docker-compose.yml"), "config"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config() -> dict:
    result = compose_config(SECRET_KEY="k" * 50, POSTGRES_PASSWORD="pw")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@requires_compose
def test_the_file_validates_with_every_service(config):
    assert set(config["services"]) == SERVICES
    assert {"postgres-data", "media", "checkpoints"} <= set(config["volumes"])


@requires_compose
def test_secrets_come_from_the_environment_only():
    result = compose_config(POSTGRES_PASSWORD="pw")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    text = (REPO / "docker-compose.yml").read_text()
    assert re.findall(r"^\s+SECRET_KEY:.*$", text, re.M) == [
        "  SECRET_KEY: ${SECRET_KEY:?set SECRET_KEY in the environment or .env}"
    ]


@requires_compose
def test_web_waits_for_healthy_services_and_has_a_healthcheck(config):
    web = config["services"]["web"]
    assert web["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "/api/v1/health/" in " ".join(web["healthcheck"]["test"])
    assert "pg_isready" in " ".join(config["services"]["postgres"]["healthcheck"]["test"])
    assert "ping" in config["services"]["redis"]["healthcheck"]["test"]
    for name in ("web", "worker-cpu", "worker-gpu", "beat"):
        env = config["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://redis:")
        assert env["SECRET_KEY"] == "k" * 50


@requires_compose
def test_workers_take_their_queues_and_the_gpu_worker_reserves_a_gpu(config):
    cpu, gpu = config["services"]["worker-cpu"], config["services"]["worker-gpu"]
    assert cpu["command"][cpu["command"].index("-Q") + 1] == "default"
    assert gpu["command"][gpu["command"].index("-Q") + 1] == "gpu"
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "TORCH_INDEX_URL" in gpu["build"]["args"]
    for service in (cpu, gpu, config["services"]["web"]):
        # docker-compose 1.x prints short "name:path:mode" strings, newer releases mappings.
        mounts = {v.split(":")[0] if isinstance(v, str) else v["source"] for v in service["volumes"]}
        assert {"media", "checkpoints"} <= mounts


def test_the_image_installs_the_pinned_torch_through_pyproject():
    pyproject = (REPO / "pyproject.toml").read_text()
    dockerfile = (REPO / "Dockerfile").read_text()
    assert '"torch==2.13.0"' in pyproject and "torchvision" not in pyproject
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert re.search(r"pip install --extra-index-url \"\$TORCH_INDEX_URL\" \.", dockerfile)
