"""Rate limits: sign-in per username and per address (token API, login pages); /predict/ and uploads per user."""

import io

import pytest
from django.core.cache import cache
from PIL import Image as PILImage

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def rates(settings):
    """Low limits for the test; counters start from zero."""
    settings.THROTTLE_RATES = {"login": "3/min", "login_ip": "100/min", "predict": "2/min", "upload": "2/min"}
    cache.clear()
    yield settings.THROTTLE_RATES
    cache.clear()


def sign_in(client, username: str, password: str = "pw-for-tests", **extra):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 60


def png(seed: int) -> io.BytesIO:
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), (seed, 40, 80)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = f"{seed}.png"
    return buffer


def test_token_guessing_for_one_username_gets_429_with_retry_after(rates, anonymous_client, admin_user, annotator_user):
    for _ in range(3):
        assert sign_in(anonymous_client, "ada", "wrong").status_code == 400
    # Over the limit even the right password waits: the answer must not confirm a guess.
    assert_throttled(sign_in(anonymous_client, "ada"))
    assert_throttled(sign_in(anonymous_client, " ADA ", "wrong"))
    # Another account from the same address is not held back by those attempts.
    assert sign_in(anonymous_client, "ann").status_code == 200


def test_one_address_trying_many_usernames_gets_429(rates, settings, anonymous_client, admin_user):
    settings.THROTTLE_RATES = {**rates, "login_ip": "2/min"}
    assert sign_in(anonymous_client, "u1", "x").status_code == 400
    assert sign_in(anonymous_client, "u2", "x").status_code == 400
    assert_throttled(sign_in(anonymous_client, "u3", "x"))
    # A forged X-Forwarded-For is not a new address (THROTTLE_NUM_PROXIES is 0).
    assert_throttled(sign_in(anonymous_client, "ada", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    assert sign_in(anonymous_client, "ada", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_login_page_answers_429_page_with_retry_after(rates, client, admin_user, annotator_user):
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "ada", "password": "wrong"}).status_code == 200
    response = client.post("/accounts/login/", {"username": "ada", "password": "pw-for-tests"})
    assert_throttled(response)
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    assert client.post("/accounts/login/", {"username": "ann", "password": "pw-for-tests"}).status_code == 302


def test_admin_site_login_is_limited_too(rates, client, admin_user):
    for _ in range(3):
        client.post("/admin/login/", {"username": "ada", "password": "wrong"})
    assert_throttled(client.post("/admin/login/", {"username": "ada", "password": "wrong"}))


def test_uploads_are_limited_per_user_and_one_user_does_not_use_up_another(
    rates, project, admin_client, make_user, client_for
):
    from alweb.projects.services import membership_set

    url = f"/api/v1/projects/{project.id}/images/"
    for seed in range(2):
        assert admin_client.post(url, {"files": [png(seed)]}, format="multipart").status_code == 201
    assert_throttled(admin_client.post(url, {"files": [png(9)]}, format="multipart"))
    # Reading is not counted.
    assert admin_client.get(url).status_code == 200
    bea = make_user("bea")
    membership_set(project=project, username="bea", role="admin")
    assert client_for(bea).post(url, {"files": [png(3)]}, format="multipart").status_code == 201


def test_predict_is_limited_per_user(rates, project, admin_client, annotator_client):
    url = f"/api/v1/projects/{project.id}/predict/"
    for _ in range(2):
        assert admin_client.post(url, {"file": png(1)}, format="multipart").status_code != 429
    assert_throttled(admin_client.post(url, {"file": png(1)}, format="multipart"))
    assert annotator_client.post(url, {"file": png(1)}, format="multipart").status_code != 429


def test_rates_come_from_the_environment(monkeypatch):
    import runpy

    import alweb.settings.base

    base_settings = alweb.settings.base.__file__
    monkeypatch.setenv("THROTTLE_LOGIN", "5/hour")
    monkeypatch.setenv("THROTTLE_UPLOAD", "1000/day")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    base = runpy.run_path(base_settings)
    assert base["THROTTLE_RATES"]["login"] == "5/hour" and base["THROTTLE_RATES"]["upload"] == "1000/day"
    # The embedded default's web server and worker are separate processes: they share a file cache.
    assert base["CACHES"]["default"]["BACKEND"].endswith("FileBasedCache")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    base = runpy.run_path(base_settings)
    assert base["CACHES"]["default"]["BACKEND"].endswith("RedisCache")


def test_the_command_line_client_waits_as_long_as_retry_after_asks(monkeypatch):
    import requests

    from alweb.client import api

    answers = []
    for status, retry_after in ((429, "7"), (200, None)):
        response = requests.Response()
        response.status_code = status
        if retry_after:
            response.headers["Retry-After"] = retry_after
        answers.append(response)
    slept = []
    monkeypatch.setattr(api.time, "sleep", slept.append)
    client = api.ApiClient(url="http://testserver", token="token", retries=2, backoff_s=0.5)
    monkeypatch.setattr(client, "_session", lambda: None)
    assert client._with_retries("/x", lambda session, url: answers.pop(0)).status_code == 200
    assert slept == [7.0]
