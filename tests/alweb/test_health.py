"""GET /api/v1/health/ answers without credentials and names what is down."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_at(settings):
    """Point Celery (which reads Django settings live) at another broker for this test."""

    def point(url: str) -> None:
        settings.CELERY_BROKER_URL = url

    return point


@pytest.fixture
def beat_ran():
    """Record that the periodic recovery just ran, as beat's task does."""
    from alweb.cycles.dispatch import CYCLES_RECOVER
    from alweb.health.services import periodic_run_record

    periodic_run_record(name=CYCLES_RECOVER)


def test_ok_when_database_and_broker_answer_and_beat_runs(anonymous_client, embedded_redis, broker_at, beat_ran):
    broker_at(f"redis+socket://{embedded_redis.socket}")
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "beat": "ok"}


def test_503_names_beat_when_the_periodic_recovery_stopped_running(
    anonymous_client, embedded_redis, broker_at, beat_ran, settings
):
    from alweb.health.models import PeriodicRun

    broker_at(f"redis+socket://{embedded_redis.socket}")
    PeriodicRun.objects.update(finished_at=timezone.now() - timedelta(seconds=settings.HEALTH_BEAT_STALE_S + 1))
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "ok", "beat": "stale"}


def test_beat_is_waited_for_just_after_start_and_stale_if_it_never_comes(
    anonymous_client, embedded_redis, broker_at, monkeypatch, settings
):
    from alweb.health import apis

    broker_at(f"redis+socket://{embedded_redis.socket}")
    monkeypatch.setattr(apis, "PROCESS_STARTED", time.monotonic())
    assert anonymous_client.get("/api/v1/health/").json()["beat"] == "waiting"
    monkeypatch.setattr(apis, "PROCESS_STARTED", time.monotonic() - settings.HEALTH_BEAT_STALE_S - 1)
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 503 and response.json()["beat"] == "stale"


def test_503_names_the_broker_when_it_is_down(anonymous_client, tmp_path, broker_at):
    broker_at(f"redis+socket://{tmp_path}/nobody.sock")
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


def test_503_names_the_database_when_it_is_down(anonymous_client, embedded_redis, broker_at, monkeypatch):
    from alweb.health import apis

    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    broker_at(f"redis+socket://{embedded_redis.socket}")
    monkeypatch.setattr(apis, "connection", DownConnection())
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "broker": "ok", "beat": "waiting"}
