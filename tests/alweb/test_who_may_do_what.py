"""Who may do what, through whole HTTP requests: project creators, members, foreign ids, labels, skeletons, cycles."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

K = 14


def points(x: float = 10.0) -> list:
    return [[x + i, 20.0, 2] for i in range(K)]


@pytest.fixture
def make_image(project):
    from alweb.images.models import Image

    made = []

    def make(split: str = "pool", target=None):
        made.append(None)
        return Image.objects.create(
            project=target or project,
            name=f"{len(made)}.png",
            file=f"images/{len(made)}.png",
            sha256=f"{len(made):064x}",
            content_type="image/png",
            width=200,
            height=100,
            split=split,
        )

    return make


# -- creating projects and adding members --------------------------------------------------------------------


def test_only_staff_create_projects_by_default(annotator_client, admin_client, settings):
    payload = {"name": "Mine", "preset": "lsp14"}
    refused = annotator_client.post("/api/v1/projects/", payload, format="json")
    assert refused.status_code == 403 and "staff" in refused.json()["detail"]
    assert admin_client.post("/api/v1/projects/", payload, format="json").status_code == 201
    settings.ALWEB_PROJECT_CREATORS = "all"
    assert annotator_client.post("/api/v1/projects/", payload, format="json").status_code == 201


def test_unknown_and_inactive_usernames_get_the_same_answer(admin_client, project, make_user):
    inactive = make_user("gone")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    url = f"/api/v1/projects/{project.id}/members/"
    unknown = admin_client.post(url, {"username": "nobody", "role": "annotator"}, format="json")
    existing = admin_client.post(url, {"username": "gone", "role": "annotator"}, format="json")
    assert unknown.status_code == existing.status_code == 400
    assert unknown.content == existing.content
    make_user("Bea")
    # Exact usernames only.
    assert admin_client.post(url, {"username": "bea", "role": "annotator"}, format="json").content == unknown.content
    assert admin_client.post(url, {"username": "Bea", "role": "annotator"}, format="json").status_code == 201


# -- ids of other projects' objects ---------------------------------------------------------------------------


@pytest.fixture
def foreign(project, make_image):
    """Objects of `project`, which the outsider is not a member of: a cycle, a model version, an image, a lease."""
    from django.utils import timezone

    from alweb.cycles.models import Cycle, ModelVersion
    from alweb.queue.models import QueueEntry

    cycle = Cycle.objects.create(
        project=project, index=1, state="ready", strategy="ll_plus_plus", budget=5, epochs=1, model_name="hg-tiny"
    )
    version = ModelVersion.objects.create(project=project, model_name="hg-tiny", checkpoint="models/x.pt")
    image = make_image()
    lease = uuid.uuid4()
    QueueEntry.objects.create(
        project=project,
        cycle=cycle,
        image=image,
        rank=1,
        predicted_loss=1.0,
        keypoints=[[0, 0, 0]] * K,
        lease_id=lease,
        leased_by=project.memberships.get(role="annotator").user,
        lease_expires_at=timezone.now(),
    )
    return {"cycle": cycle.id, "version": version.id, "image": image.id, "lease": lease, "project": project.id}


FOREIGN_ENDPOINTS = [
    ("get", "/api/v1/cycles/{cycle}/"),
    ("post", "/api/v1/cycles/{cycle}/cancel/"),
    ("get", "/api/v1/cycles/{cycle}/scatter/"),
    ("post", "/api/v1/model-versions/{version}/activate/"),
    ("get", "/api/v1/images/{image}/"),
    ("patch", "/api/v1/images/{image}/"),
    ("get", "/api/v1/images/{image}/file"),
    ("get", "/api/v1/images/{image}/annotation/"),
    ("put", "/api/v1/images/{image}/annotation/"),
    ("get", "/api/v1/images/{image}/annotation/history/"),
    ("post", "/api/v1/leases/{lease}/renew/"),
    ("post", "/api/v1/leases/{lease}/release/"),
    ("get", "/api/v1/projects/{project}/"),
    ("get", "/api/v1/projects/{project}/cycles/"),
    ("get", "/api/v1/projects/{project}/images/"),
]


@pytest.mark.parametrize("method, template", FOREIGN_ENDPOINTS)
def test_a_foreign_id_answers_as_a_never_used_one(method, template, foreign, outsider_client):
    unused = {key: uuid.uuid4() if key == "lease" else value + 10_000 for key, value in foreign.items()}
    send = getattr(outsider_client, method)
    existing = send(template.format(**foreign), {}, format="json")
    never_used = send(template.format(**unused), {}, format="json")
    assert existing.status_code == never_used.status_code == 404
    assert existing.content == never_used.content


# -- labels ---------------------------------------------------------------------------------------------------


def put_label(client, image, x: float = 10.0, etag: str | None = None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.put(f"/api/v1/images/{image.id}/annotation/", {"keypoints": points(x)}, format="json", **headers)


@pytest.mark.parametrize("split", ["train", "val"])
def test_only_admins_overwrite_training_and_validation_labels(split, make_image, annotator_client, admin_client):
    image = make_image(split)
    first = put_label(annotator_client, image)
    assert first.status_code == 201
    refused = put_label(annotator_client, image, x=30, etag=first["ETag"])
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    assert put_label(admin_client, image, x=40, etag=first["ETag"]).status_code == 200


def test_annotators_correct_their_own_pool_labels_but_not_others(make_image, annotator_client, admin_client):
    mine, theirs = make_image(), make_image()
    first = put_label(annotator_client, mine)
    assert put_label(annotator_client, mine, x=20, etag=first["ETag"]).status_code == 200
    by_admin = put_label(admin_client, theirs)
    assert put_label(annotator_client, theirs, x=20, etag=by_admin["ETag"]).status_code == 403


def test_annotators_correct_the_queue_image_they_hold(
    project, make_image, annotator_user, annotator_client, admin_client
):
    from django.utils import timezone

    from alweb.cycles.models import Cycle
    from alweb.queue.models import QueueEntry

    image = make_image()
    by_admin = put_label(admin_client, image)
    cycle = Cycle.objects.create(
        project=project, index=1, state="ready", strategy="ll_plus_plus", budget=5, epochs=1, model_name="hg-tiny"
    )
    QueueEntry.objects.create(
        project=project,
        cycle=cycle,
        image=image,
        rank=1,
        predicted_loss=1.0,
        keypoints=[[0, 0, 0]] * K,
        lease_id=uuid.uuid4(),
        leased_by=annotator_user,
        lease_expires_at=timezone.now(),
    )
    assert put_label(annotator_client, image, x=20, etag=by_admin["ETag"]).status_code == 200


# -- the skeleton once labels exist ---------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["rename", "reorder", "resize"])
def test_keypoints_are_fixed_once_labels_exist(change, project, make_image, admin_client, annotator_client):
    url = f"/api/v1/projects/{project.id}/"
    keypoints = list(project.keypoints)
    changed = {
        "rename": [keypoints[0] + "-x", *keypoints[1:]],
        "reorder": [keypoints[1], keypoints[0], *keypoints[2:]],
        "resize": [*keypoints, "tail"],
    }[change]
    # Before any label the skeleton may change freely (and back).
    assert admin_client.patch(url, {"keypoints": changed, "flip_pairs": []}, format="json").status_code == 200
    assert admin_client.patch(url, {"keypoints": keypoints}, format="json").status_code == 200
    put_label(annotator_client, make_image())
    refused = admin_client.patch(url, {"keypoints": changed, "flip_pairs": []}, format="json")
    assert refused.status_code == 409, refused.content
    project.refresh_from_db()
    assert project.keypoints == keypoints
    # The name and the drawing (edges) may still change.
    assert admin_client.patch(url, {"name": "Renamed", "edges": [[0, 1]]}, format="json").status_code == 200


# -- cycles ---------------------------------------------------------------------------------------------------


def test_cycle_settings_are_capped_by_the_deployment(project, admin_client, settings):
    settings.CYCLE_MAX_EPOCHS, settings.CYCLE_MAX_BUDGET = 5, 50
    url = f"/api/v1/projects/{project.id}/cycles/"
    for field, value in (("epochs", 6), ("head_epochs", 6), ("budget", 51)):
        response = admin_client.post(url, {field: value}, format="json")
        assert response.status_code == 400 and field in response.json(), response.content


def test_a_second_cycle_while_one_runs_is_409(project, admin_client, settings):
    from alweb.cycles.models import Cycle

    Cycle.objects.create(
        project=project, index=1, state="training", strategy="ll_plus_plus", budget=5, epochs=1, model_name="hg-tiny"
    )
    settings.CYCLE_MIN_LABELLED = 0
    response = admin_client.post(f"/api/v1/projects/{project.id}/cycles/", {"epochs": 1}, format="json")
    assert response.status_code == 409, response.content


def test_a_failed_cycle_tells_no_exception_text(
    project, admin_client, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from alweb.cycles import pipeline
    from alweb.cycles.models import Cycle
    from alweb.realtime import events

    sent = []
    monkeypatch.setattr(events, "_send", lambda **kwargs: sent.append(kwargs["text"]))
    cycle = Cycle.objects.create(
        project=project, index=1, state="scoring", strategy="ll_plus_plus", budget=5, epochs=1, model_name="hg-tiny"
    )
    secret = "connection to /srv/secret/db.sqlite3 at 10.0.0.7 refused"
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.cycle_scoring_fail(cycle_id=cycle.id, error=RuntimeError(secret))
    body = admin_client.get(f"/api/v1/cycles/{cycle.id}/").json()
    assert body["state"] == "failed" and body["error"].startswith("Scoring failed")
    assert secret not in body["error"]
    assert sent and all(secret not in text for text in sent)
    assert secret in caplog.text
