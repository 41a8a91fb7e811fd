"""Production settings: a required SECRET_KEY, HTTPS cookies and HSTS, the Content-Security-Policy, revocable tokens."""

import re
import runpy
from pathlib import Path

import pytest

import alweb.settings.base

pytestmark = pytest.mark.django_db

BASE_SETTINGS = alweb.settings.base.__file__
REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "frontend" / "templates"


def settings_with(monkeypatch, tmp_path, **env) -> dict:
    """The base settings as a process started with this environment would see them."""
    for name in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALWEB_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(BASE_SETTINGS)


# -- SECRET_KEY -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["DATABASE_URL", "REDIS_URL"])
def test_a_deployment_without_secret_key_refuses_to_start(monkeypatch, tmp_path, service):
    from django.core.exceptions import ImproperlyConfigured

    url = {"DATABASE_URL": "postgres://alweb@db:5432/alweb", "REDIS_URL": "redis://redis:6379/0"}[service]
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        settings_with(monkeypatch, tmp_path, **{service: url})
    assert settings_with(monkeypatch, tmp_path, **{service: url}, SECRET_KEY="k" * 50)["SECRET_KEY"] == "k" * 50
    # Debugging a deployment's settings locally is allowed without one.
    assert settings_with(monkeypatch, tmp_path, **{service: url}, DEBUG="1")["SECRET_KEY"]


def test_the_embedded_default_starts_without_secret_key(monkeypatch, tmp_path):
    assert settings_with(monkeypatch, tmp_path)["SECRET_KEY"]


# -- HTTPS ----------------------------------------------------------------------------------------------------


def test_https_settings_come_from_the_environment(monkeypatch, tmp_path):
    plain = settings_with(monkeypatch, tmp_path)
    assert not plain["SESSION_COOKIE_SECURE"] and not plain["CSRF_COOKIE_SECURE"] and plain["SECURE_HSTS_SECONDS"] == 0
    assert "SECURE_PROXY_SSL_HEADER" not in plain
    deployed = settings_with(
        monkeypatch,
        tmp_path,
        SECRET_KEY="k" * 50,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        SESSION_COOKIE_SECURE="1",
        CSRF_COOKIE_SECURE="1",
        SECURE_HSTS_SECONDS="31536000",
    )
    assert deployed["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert deployed["SESSION_COOKIE_SECURE"] and deployed["CSRF_COOKIE_SECURE"]
    assert deployed["SECURE_HSTS_SECONDS"] == 31536000


def test_behind_the_proxy_https_gets_hsts_and_secure_cookies(settings, client, admin_user):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "pw-for-tests"}, HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"]


def test_docker_compose_turns_the_https_settings_on():
    text = (REPO / "docker-compose.yml").read_text()
    for line in (
        "SECURE_PROXY_SSL_HEADER: ${SECURE_PROXY_SSL_HEADER-X-Forwarded-Proto}",
        "SESSION_COOKIE_SECURE: ${SESSION_COOKIE_SECURE:-1}",
        "CSRF_COOKIE_SECURE: ${CSRF_COOKIE_SECURE:-1}",
        "SECURE_HSTS_SECONDS: ${SECURE_HSTS_SECONDS:-31536000}",
    ):
        assert re.search(r"^\s+" + re.escape(line) + "$", text, re.M), line


# -- Content-Security-Policy ----------------------------------------------------------------------------------


def directive(policy: str, name: str) -> str:
    return next(part.strip() for part in policy.split(";") if part.strip().startswith(name + " "))


def test_pages_forbid_inline_and_foreign_scripts(client, admin_user, project):
    client.force_login(admin_user)
    for url in ("/accounts/login/", "/", f"/projects/{project.id}/annotate/", f"/projects/{project.id}/dashboard/"):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert directive(policy, "script-src") == "script-src 'self'"
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        # json_script blocks are data (type="application/json"), never run; every other script has a src.
        for tag in re.findall(rb"<script\b[^>]*>", response.content):
            assert b" src=" in tag or b'type="application/json"' in tag, tag


def test_templates_hold_no_inline_script_or_handler():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template


def test_api_docs_load_their_start_up_script_from_the_site(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert directive(page["Content-Security-Policy"], "script-src") == "script-src 'self'"
    for tag in re.findall(rb"<script\b[^>]*>", page.content):
        assert b" src=" in tag, tag
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]


# -- revoking tokens ------------------------------------------------------------------------------------------


def test_delete_revokes_the_callers_token(admin_client, annotator_client, anonymous_client):
    assert admin_client.get("/api/v1/projects/").status_code == 200
    assert admin_client.delete("/api/v1/auth/token/").status_code == 204
    assert admin_client.get("/api/v1/projects/").status_code == 401
    # Only the caller's: another user's token still works.
    assert annotator_client.get("/api/v1/projects/").status_code == 200
    assert anonymous_client.delete("/api/v1/auth/token/").status_code == 401
    fresh = anonymous_client.post("/api/v1/auth/token/", {"username": "ada", "password": "pw-for-tests"}, format="json")
    assert fresh.status_code == 200


def test_the_schema_documents_revoking(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    token = schema["paths"]["/api/v1/auth/token/"]
    assert "204" in token["delete"]["responses"] and "429" in token["post"]["responses"]
