"""Cached credentials never outlive a revocation: whole HTTP requests right after each change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def take_next(client, project):
    return client.post(f"/api/v1/projects/{project.id}/queue/next/")


def test_a_removed_member_gets_404_at_once(annotator_client, admin_client, project, queued, annotator_user):
    assert take_next(annotator_client, project).status_code == 200

    removed = admin_client.delete(f"/api/v1/projects/{project.id}/members/{annotator_user.username}/")

    assert removed.status_code == 204
    assert take_next(annotator_client, project).status_code == 404


def test_a_revoked_token_gets_401_at_once(annotator_client, project, queued):
    assert take_next(annotator_client, project).status_code == 200

    assert annotator_client.delete("/api/v1/auth/token/").status_code == 204

    assert take_next(annotator_client, project).status_code == 401


def test_a_token_deleted_outside_the_api_gets_401_at_once(annotator_client, project, queued, annotator_user):
    from rest_framework.authtoken.models import Token

    assert take_next(annotator_client, project).status_code == 200

    Token.objects.get(user=annotator_user).delete()

    assert take_next(annotator_client, project).status_code == 401


def test_a_deactivated_user_gets_401_at_once(annotator_client, project, queued, annotator_user):
    assert take_next(annotator_client, project).status_code == 200

    annotator_user.is_active = False
    annotator_user.save(update_fields=["is_active"])

    assert take_next(annotator_client, project).status_code == 401


def test_an_outsider_with_a_bad_body_still_gets_404(client_for, outsider_user, project, queued):
    response = client_for(outsider_user).post(f"/api/v1/projects/{project.id}/queue/next/", {"after": 5})

    assert response.status_code == 404


def test_next_takes_few_queries_once_the_token_is_cached(annotator_client, project, queued):
    assert take_next(annotator_client, project).status_code == 200
    lease = take_next(annotator_client, project).json()["lease"]["id"]
    annotator_client.post(f"/api/v1/leases/{lease}/release/")

    with CaptureQueriesContext(connection) as queries:
        response = take_next(annotator_client, project)

    assert response.status_code == 200
    statements = [
        query["sql"] for query in queries.captured_queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # The membership lock, the held-lease renewal, the claim (PostgreSQL; SQLite reads candidates, then claims one).
    assert len(statements) <= (3 if connection.vendor == "postgresql" else 4), statements
    assert not any("authtoken_token" in sql for sql in statements)
