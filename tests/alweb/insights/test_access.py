"""Every dashboard API against every role: anonymous 401, outsider 404, annotator and admin 200."""

import pytest

pytestmark = pytest.mark.django_db

ROLES = [("anonymous", 401), ("outsider", 404), ("annotator", 200), ("admin", 200)]


@pytest.fixture
def client_as(admin_client, annotator_client, outsider_client, anonymous_client):
    return {
        "admin": admin_client,
        "annotator": annotator_client,
        "outsider": outsider_client,
        "anonymous": anonymous_client,
    }


@pytest.fixture
def urls(project, ready_cycle):
    return [
        f"/api/v1/projects/{project.id}/overview/",
        f"/api/v1/projects/{project.id}/loss-analysis/",
        f"/api/v1/cycles/{ready_cycle.id}/scatter/",
    ]


@pytest.mark.parametrize("role,expected", ROLES)
def test_each_role_gets_its_status(client_as, urls, role, expected):
    for url in urls:
        response = client_as[role].get(url)
        assert response.status_code == expected, (url, response.content)
        if expected == 401:
            assert "WWW-Authenticate" in response


def test_unknown_ids_are_404_like_foreign_ones(admin_client):
    for url in (
        "/api/v1/projects/999999/overview/",
        "/api/v1/projects/999999/loss-analysis/",
        "/api/v1/cycles/999999/scatter/",
    ):
        assert admin_client.get(url).status_code == 404, url


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_dashboard_apis_are_read_only(admin_client, urls, method):
    for url in urls:
        assert getattr(admin_client, method)(url).status_code == 405, url


def test_the_schema_documents_the_dashboard_apis(anonymous_client):
    paths = anonymous_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {
        "/api/v1/projects/{project_id}/overview/",
        "/api/v1/projects/{project_id}/loss-analysis/",
        "/api/v1/cycles/{cycle_id}/scatter/",
    } <= paths.keys()
