"""Sign-in and the project list, as a browser requests them."""

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_fields_and_signs_in(client, annotator_user, project):
    page = client.get("/accounts/login/").content.decode()
    assert 'for="id_username">Username' in page and 'for="id_password">Password' in page and "Log in</button>" in page
    response = client.post("/accounts/login/", {"username": "ann", "password": "pw-for-tests"})
    assert response.status_code == 302 and response["Location"] == "/"
    listing = client.get("/").content.decode()
    assert "Runners" in listing and f"/projects/{project.id}/annotate/" in listing
    assert "/dashboard/" not in listing  # annotators do not administer the project


def test_project_list_needs_a_session(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_names_with_html_render_inert(client, admin_user):
    from alweb.projects.services import project_create

    project_create(user=admin_user, name="<script>alert(1)</script>", preset="lsp14")
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
