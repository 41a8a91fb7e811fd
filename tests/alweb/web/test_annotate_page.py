"""The annotation page as the server renders it: who may open it, and the skeleton it hands the scripts."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def skeleton_of(page: str) -> dict:
    match = re.search(r'<script id="annotate-skeleton" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


@pytest.mark.parametrize("who", ["annotator_user", "admin_user"])
def test_members_get_the_editor_with_the_projects_skeleton(request, client, project, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"/projects/{project.id}/annotate/")
    assert response.status_code == 200
    page = response.content.decode()
    skeleton = skeleton_of(page)
    template = skeleton.pop("template")
    assert skeleton == {
        "id": project.id,
        "name": "Runners",
        "keypoints": project.keypoints,
        "edges": project.edges,
        "flip_pairs": project.flip_pairs,
    }
    # Where a drawn box's points start without a model: one [u, v] in the box per keypoint.
    assert len(template) == len(project.keypoints) and all(0 <= c <= 1 for point in template for c in point)
    assert 'aria-label="Image to annotate"' in page
    for name in ("Undo", "Redo", "Skip", "Submit"):
        assert f">{name}</button>" in page
    assert 'type="module" src="/static/annotate/main.js"' in page


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get(f"/projects/{project.id}/annotate/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/projects/{project.id}/annotate/"


def test_outsiders_and_unknown_projects_get_404(client, project, outsider_user):
    client.force_login(outsider_user)
    assert client.get(f"/projects/{project.id}/annotate/").status_code == 404
    assert client.get(f"/projects/{project.id + 1000}/annotate/").status_code == 404


def test_html_in_project_and_keypoint_names_renders_inert(client, admin_user):
    from alweb.projects.services import project_create

    name = "<script>alert(1)</script>"
    keypoint = "</script><img src=x onerror=alert(2)>"
    project = project_create(user=admin_user, name=name, keypoints=[keypoint, "b"], edges=[[0, 1]], flip_pairs=[])
    client.force_login(admin_user)
    page = client.get(f"/projects/{project.id}/annotate/").content.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    skeleton = skeleton_of(page)
    assert skeleton["name"] == name and skeleton["keypoints"] == [keypoint, "b"]
