"""The new-project and settings pages: who may open them, and what they hand to their scripts."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def page_config(page: str, script_id: str) -> dict:
    return json.loads(re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', page).group(1))


@pytest.mark.parametrize("who", ["annotator_user", "outsider_user"])
def test_annotators_and_outsiders_get_404_on_settings(client, project, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/projects/{project.id}/settings/").status_code == 404
    assert client.get("/projects/999999/settings/").status_code == 404


def test_users_who_may_not_create_projects_get_a_403_page_and_no_button(client, annotator_user):
    client.force_login(annotator_user)
    response = client.get("/projects/new/")
    assert response.status_code == 403
    assert "Only staff may create projects" in response.content.decode()
    assert "/projects/new/" not in client.get("/").content.decode()


def test_staff_get_the_form_with_the_presets_and_the_button(client, admin_user, project):
    client.force_login(admin_user)
    page = client.get("/projects/new/").content.decode()
    assert set(page_config(page, "project-new-config")["presets"]) == {"lsp14", "mpii16", "coco17"}
    listing = client.get("/").content.decode()
    assert "New project</a>" in listing and f"/projects/{project.id}/settings/" in listing


def test_settings_page_shows_the_project_and_says_when_the_skeleton_is_fixed(client, admin_user, project):
    from alweb.annotations.models import Annotation
    from alweb.images.models import Image

    client.force_login(admin_user)
    page = client.get(f"/projects/{project.id}/settings/").content.decode()
    config = page_config(page, "settings-config")
    assert config["project"]["keypoints"][0] == "r-ankle" and config["skeleton_fixed"] is False
    assert 'id="skeleton-form"' in page and 'aria-current="page"' in page

    image = Image.objects.create(project=project, name="a.png", width=8, height=8, sha256="0" * 64)
    Annotation.objects.create(image=image, annotator=admin_user, instances=[])
    page = client.get(f"/projects/{project.id}/settings/").content.decode()
    assert page_config(page, "settings-config")["skeleton_fixed"] is True
    assert 'id="skeleton-form"' not in page and "every stored label lists its points in this order" in page


def test_the_dashboards_cycle_form_starts_from_the_projects_defaults(client, admin_user, project):
    project.cycle_defaults = {
        "strategy": "random",
        "model": "hg-tiny",
        "budget": 40,
        "epochs": 7,
        "audit_fraction": 0.25,
    }
    project.save(update_fields=["cycle_defaults"])
    client.force_login(admin_user)
    page = client.get(f"/projects/{project.id}/dashboard/").content.decode()
    config = page_config(page, "dashboard-config")
    assert [s["value"] for s in config["strategies"] if s["default"]] == ["random"]
    assert config["cycle_defaults"] == {"budget": 40, "epochs": 7, "head_epochs": 3, "audit_percent": 25}
    assert 'id="cycle-budget" name="budget"' in page and 'value="40"' in page
