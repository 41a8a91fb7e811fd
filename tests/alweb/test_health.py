"""GET /api/v1/health/ answers without credentials and names what is down."""
import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_at(settings):
    """Point Celery (which reads Django settings live) at another broker for this test."""
    def point(url: str) -> None:
        settings.CELERY_BROKER_URL = url

    return point


def test_ok_when_database_and_broker_answer(anonymous_client, embedded_redis, broker_at):
    broker_at(f"redis+socket://{embedded_redis.socket}")
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_503_names_the_broker_when_it_is_down(anonymous_client, tmp_path, broker_at):
    broker_at(f"redis+socket://{tmp_path}/nobody.sock")
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_503_names_the_database_when_it_is_down(anonymous_client, embedded_redis, broker_at, monkeypatch):
    from alweb.health import apis

    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    broker_at(f"redis+socket://{embedded_redis.socket}")
    monkeypatch.setattr(apis, "connection", DownConnection())
    response = anonymous_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "broker": "ok"}
