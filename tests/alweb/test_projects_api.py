"""Projects and members through whole HTTP requests."""

import pytest

pytestmark = pytest.mark.django_db


def test_create_from_preset_reads_back_the_skeleton(admin_client):
    response = admin_client.post("/api/v1/projects/", {"name": "Gym", "preset": "lsp14"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Gym"
    assert body["keypoints"][0] == "r-ankle" and len(body["keypoints"]) == 14
    assert [0, 5] in body["flip_pairs"]
    again = admin_client.get(f"/api/v1/projects/{body['id']}/").json()
    assert again["keypoints"] == body["keypoints"] and again["edges"] == body["edges"]


def test_create_custom_skeleton(admin_client):
    payload = {"name": "Hands", "keypoints": ["wrist", "thumb", "index"], "edges": [[0, 1], [0, 2]], "flip_pairs": []}
    body = admin_client.post("/api/v1/projects/", payload, format="json").json()
    assert body["keypoints"] == ["wrist", "thumb", "index"]
    assert body["edges"] == [[0, 1], [0, 2]]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x"},
        {"name": "x", "preset": "horse"},
        {"name": "x", "keypoints": []},
        {"name": "x", "keypoints": ["a", "a"]},
        {"name": "x", "keypoints": ["a", "b"], "edges": [[0, 2]]},
        {"name": "x", "keypoints": ["a", "b"], "edges": [[1, 1]]},
        {"name": "x", "keypoints": ["a", "b", "c"], "flip_pairs": [[0, 1], [1, 2]]},
        {"name": "x", "preset": "lsp14", "keypoints": ["a"]},
    ],
)
def test_bad_skeletons_are_rejected_and_nothing_is_stored(admin_client, payload):
    from alweb.projects.models import Project

    response = admin_client.post("/api/v1/projects/", payload, format="json")
    assert response.status_code == 400
    assert response.json()
    assert not Project.objects.exists()


def test_creator_becomes_admin_and_lists_only_own_projects(admin_client, outsider_client):
    admin_client.post("/api/v1/projects/", {"name": "Mine", "preset": "coco17"}, format="json")
    assert [p["name"] for p in admin_client.get("/api/v1/projects/").json()["results"]] == ["Mine"]
    assert outsider_client.get("/api/v1/projects/").json()["results"] == []


def test_members_add_list_change_and_remove(admin_client, project, outsider_user):
    url = f"/api/v1/projects/{project.id}/members/"
    assert admin_client.post(url, {"username": "otto", "role": "annotator"}, format="json").status_code == 201
    assert admin_client.post(url, {"username": "otto", "role": "admin"}, format="json").status_code == 200
    roles = {m["username"]: m["role"] for m in admin_client.get(url).json()["results"]}
    assert roles == {"ada": "admin", "ann": "annotator", "otto": "admin"}
    assert admin_client.delete(f"{url}otto/").status_code == 204
    assert admin_client.delete(f"{url}nobody/").status_code == 404
    assert admin_client.post(url, {"username": "ghost", "role": "annotator"}, format="json").status_code == 400


def test_last_admin_cannot_leave(admin_client, project):
    response = admin_client.delete(f"/api/v1/projects/{project.id}/members/ada/")
    assert response.status_code == 409
    assert project.memberships.filter(user__username="ada", role="admin").exists()


def test_update_project_and_keypoint_count_fixed_once_labelled(admin_client, project):
    url = f"/api/v1/projects/{project.id}/"
    assert admin_client.patch(url, {"name": "Sprinters"}, format="json").json()["name"] == "Sprinters"
    shorter = admin_client.patch(url, {"keypoints": ["a", "b"], "edges": [], "flip_pairs": []}, format="json")
    assert shorter.status_code == 200


def test_token_endpoint(client, admin_user):
    response = client.post("/api/v1/auth/token/", {"username": "ada", "password": "pw-for-tests"})
    assert response.status_code == 200
    token = response.json()["token"]
    listing = client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listing.status_code == 200
    assert client.post("/api/v1/auth/token/", {"username": "ada", "password": "wrong"}).status_code == 400


def test_anonymous_gets_401_json(anonymous_client):
    response = anonymous_client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_schema_and_docs_are_served(admin_client):
    schema = admin_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert b"/api/v1/projects/" in schema.content
    assert admin_client.get("/api/v1/docs/").status_code == 200


def test_cycle_defaults_are_the_deployments_until_set_then_persist_and_merge(admin_client, annotator_client, project):
    url = f"/api/v1/projects/{project.id}/"
    assert admin_client.get(url).json()["cycle_defaults"] == {
        "strategy": "ll_plus_plus",
        "model": "hg-tiny",
        "budget": 100,
        "epochs": 10,
        "head_epochs": 3,
        "audit_fraction": 0.1,
    }
    response = admin_client.patch(url, {"cycle_defaults": {"strategy": "random", "budget": 40}}, format="json")
    assert response.status_code == 200, response.content
    admin_client.patch(url, {"cycle_defaults": {"epochs": 25, "audit_fraction": 0}}, format="json")
    stored = annotator_client.get(url).json()
    assert stored["cycle_defaults"] == {
        "strategy": "random",
        "model": "hg-tiny",
        "budget": 40,
        "epochs": 25,
        "head_epochs": 3,
        "audit_fraction": 0.0,
    }
    assert stored["name"] == "Runners" and stored["flag_percentile"] == 90.0
    assert annotator_client.patch(url, {"cycle_defaults": {"budget": 5}}, format="json").status_code == 403


@pytest.mark.parametrize(
    "defaults",
    [
        {"budget": 0},
        {"budget": 100_001},
        {"epochs": 501},
        {"head_epochs": -1},
        {"audit_fraction": 1.5},
        {"audit_fraction": "NaN"},
        {"strategy": "psychic"},
        {"model": "gpt"},
        {"budget": "ten"},
        [1, 2],
    ],
)
def test_cycle_defaults_outside_the_cycle_limits_are_refused_and_change_nothing(admin_client, project, defaults):
    url = f"/api/v1/projects/{project.id}/"
    response = admin_client.patch(url, {"name": "Changed", "cycle_defaults": defaults}, format="json")
    assert response.status_code == 400
    assert "cycle_defaults" in response.json()
    project.refresh_from_db()
    assert project.cycle_defaults == {} and project.name == "Runners"


@pytest.mark.parametrize("preset", ["lsp14", "mpii16", "coco17"])
def test_every_preset_skeleton_passes_the_custom_skeleton_rules(admin_client, preset):
    from ml.skeletons import PRESETS

    skeleton = PRESETS[preset]
    payload = {
        "name": preset,
        "keypoints": list(skeleton.keypoints),
        "edges": [list(e) for e in skeleton.edges],
        "flip_pairs": [list(p) for p in skeleton.flip_pairs],
    }
    assert admin_client.post("/api/v1/projects/", payload, format="json").status_code == 201


@pytest.mark.parametrize(
    ("keypoints", "accepted"),
    [
        (["left_knee", "right_knee"], True),
        (["l_knee", "r_knee"], True),
        (["LKnee", "RKnee"], True),
        (["left hip", "right hip"], True),
        (["l-hip", "r-hip"], True),
        (["left_knee", "right_hip"], False),
        (["wrist", "thumb"], False),
        (["left_knee", "left_knee2"], False),
        (["knee_l", "knee_l_r"], False),
    ],
)
def test_a_flip_pair_must_be_a_left_and_a_right_twin(admin_client, keypoints, accepted):
    payload = {"name": "Pairs", "keypoints": keypoints, "flip_pairs": [[0, 1]]}
    response = admin_client.post("/api/v1/projects/", payload, format="json")
    assert response.status_code == (201 if accepted else 400), response.content
    if not accepted:
        assert "are not a left/right pair" in response.json()["flip_pairs"]


def test_a_project_stored_under_the_older_pair_rule_can_still_be_renamed(admin_client, admin_user):
    from alweb.projects.models import Membership, Project

    older = Project.objects.create(name="Old", keypoints=["a", "b"], flip_pairs=[[0, 1]], created_by=admin_user)
    Membership.objects.create(project=older, user=admin_user, role="admin")
    url = f"/api/v1/projects/{older.id}/"
    assert admin_client.patch(url, {"name": "Older", "cycle_defaults": {"budget": 5}}, format="json").status_code == 200
    edited = admin_client.patch(url, {"edges": [[0, 1]]}, format="json")
    assert edited.status_code == 400 and "are not a left/right pair" in edited.json()["flip_pairs"]
