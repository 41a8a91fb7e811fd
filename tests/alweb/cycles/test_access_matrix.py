"""Every cycle and model endpoint x {anonymous 401, outsider 404, annotator, admin}."""

import pytest

from alweb.cycles.models import Cycle, ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(project):
    cycle = Cycle.objects.create(
        project=project, index=1, state="training", strategy="ll_plus_plus", budget=5, epochs=1, model_name="hg-tiny"
    )
    version = ModelVersion.objects.create(project=project, model_name="hg-tiny", checkpoint="models/x.pt")
    return cycle, version


# (method, url template, annotator's status, admin's status)
ENDPOINTS = [
    ("get", "/api/v1/projects/{project}/cycles/", 200, 200),
    ("get", "/api/v1/cycles/{cycle}/", 200, 200),
    ("get", "/api/v1/projects/{project}/model-versions/", 200, 200),
    ("post", "/api/v1/projects/{project}/cycles/", 403, 400),  # the admin is refused for too few labels
    ("post", "/api/v1/model-versions/{version}/activate/", 403, 200),
    ("post", "/api/v1/cycles/{cycle}/cancel/", 403, 200),
]


@pytest.mark.parametrize("method, template, annotator_status, admin_status", ENDPOINTS)
def test_access(
    method,
    template,
    annotator_status,
    admin_status,
    project,
    running,
    anonymous_client,
    outsider_client,
    annotator_client,
    admin_client,
):
    cycle, version = running
    url = template.format(project=project.id, cycle=cycle.id, version=version.id)
    assert getattr(anonymous_client, method)(url).status_code == 401
    assert getattr(outsider_client, method)(url).status_code == 404
    assert getattr(annotator_client, method)(url).status_code == annotator_status
    assert getattr(admin_client, method)(url, format="json").status_code == admin_status
