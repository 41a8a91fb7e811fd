"""The dashboard page: admins only, its settings handed to the page as inert JSON."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def dashboard_url(project) -> str:
    return f"/projects/{project.id}/dashboard/"


def test_anonymous_visitors_are_sent_to_sign_in(client, project):
    response = client.get(dashboard_url(project))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["annotator_user", "outsider_user"])
def test_annotators_and_outsiders_get_404(client, project, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(dashboard_url(project)).status_code == 404
    assert client.get("/projects/999999/dashboard/").status_code == 404


def test_admins_get_the_page_with_its_settings(client, admin_user, project):
    client.force_login(admin_user)
    page = client.get(dashboard_url(project)).content.decode()
    config = json.loads(
        re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>', page).group(1)
    )
    assert config["project"] == {"id": project.id, "name": "Runners"}
    assert config["socket_path"] == f"/ws/projects/{project.id}/"
    strategies = [s["value"] for s in config["strategies"]]
    assert strategies[0] == "ll_plus_plus" and config["strategies"][0]["default"] is True
    assert {"random", "coreset", "learning_loss", "multipeak_entropy"} <= set(strategies)
    assert [m["value"] for m in config["models"] if m["default"]] == ["hg-tiny"]
    for label in ("Strategy", "Budget", "Epochs", "Model"):
        assert f">{label}</label>" in page
    assert "Start cycle</button>" in page and 'role="progressbar"' in page
    assert "/static/dashboard/dashboard.js" in page


def test_a_project_name_with_markup_renders_inert(client, admin_user):
    from alweb.projects.services import project_create

    project = project_create(user=admin_user, name="<script>alert(1)</script>", preset="lsp14")
    client.force_login(admin_user)
    page = client.get(dashboard_url(project)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in page
