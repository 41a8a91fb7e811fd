"""seed_demo: accounts, project and labelled synthetic images, and nothing twice."""

import io
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    from alweb.annotations.models import Annotation
    from alweb.images.models import Image
    from alweb.projects.models import Membership, Project

    return {
        "users": get_user_model().objects.count(),
        "projects": Project.objects.count(),
        "members": Membership.objects.count(),
        "pool": Image.objects.filter(split="pool").count(),
        "train": Image.objects.filter(split="train").count(),
        "val": Image.objects.filter(split="val").count(),
        "labels": Annotation.objects.count(),
    }


def test_seed_twice_creates_everything_once(tmp_path):
    from alweb.projects.models import Membership, Project

    credentials = tmp_path / "demo-credentials.json"
    sizes = {"pool": 4, "train": 3, "val": 2, "credentials": credentials}
    scenes = {"scenes_pool": 2, "scenes_train": 2, "scenes_val": 1}
    call_command("seed_demo", **sizes, **scenes)
    first = counts()
    passwords = credentials.read_text()
    call_command("seed_demo", **sizes, **scenes)

    # Both projects: the stick figures, and the scenes with several people each.
    assert first == {"users": 2, "projects": 2, "members": 4, "pool": 6, "train": 5, "val": 3, "labels": 8}
    assert counts() == first
    assert credentials.read_text() == passwords
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    project = Project.objects.get(name="Demo: synthetic people")
    assert len(project.keypoints) == 14 and project.preset == "lsp14"
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"admin": "admin", "annotator": "annotator"}


def test_the_stored_passwords_sign_in(tmp_path, anonymous_client):
    import json

    credentials = tmp_path / "demo-credentials.json"
    call_command("seed_demo", pool=0, train=0, val=0, scenes=False, credentials=credentials)
    for username, password in json.loads(credentials.read_text()).items():
        response = anonymous_client.post(
            "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
        )
        assert response.status_code == 200, response.content


def test_labels_are_valid_and_growing_a_split_adds_only_the_new_images(tmp_path):
    from alweb.annotations.models import Annotation

    credentials = tmp_path / "demo-credentials.json"
    call_command("seed_demo", pool=1, train=2, val=0, scenes=False, credentials=credentials)
    call_command("seed_demo", pool=1, train=3, val=0, scenes=False, credentials=credentials)
    assert counts()["train"] == 3 and counts()["labels"] == 3
    for annotation in Annotation.objects.select_related("image"):
        (instance,) = annotation.instances
        assert len(instance["keypoints"]) == 14
        for x, y, v in instance["keypoints"]:
            assert v in (0, 1, 2)
            if v == 0:
                assert (x, y) == (0, 0)
            else:
                assert 0 <= x <= annotation.image.width and 0 <= y <= annotation.image.height


def test_seeding_never_resets_an_existing_accounts_password(tmp_path, anonymous_client, django_user_model):
    import json

    django_user_model.objects.create_user(username="admin", password="chosen-by-the-owner")
    credentials = tmp_path / "demo-credentials.json"
    out = io.StringIO()
    call_command("seed_demo", pool=0, train=0, val=0, scenes=False, credentials=credentials, stdout=out)
    stored = json.loads(credentials.read_text())
    admin = django_user_model.objects.get(username="admin")
    assert admin.check_password("chosen-by-the-owner") and not admin.check_password(stored["admin"])
    assert "left unchanged" in out.getvalue()
    # The demo's own new account gets the stored password.
    assert django_user_model.objects.get(username="annotator").check_password(stored["annotator"])


def test_the_demo_admin_is_staff_and_creates_projects(tmp_path, anonymous_client, django_user_model):
    import json

    from tests.conftest import token_client

    credentials = tmp_path / "demo-credentials.json"
    call_command("seed_demo", pool=0, train=0, val=0, scenes=False, credentials=credentials)
    password = json.loads(credentials.read_text())["admin"]
    assert (
        anonymous_client.post(
            "/api/v1/auth/token/", {"username": "admin", "password": password}, format="json"
        ).status_code
        == 200
    )
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser
    created = token_client(admin).post("/api/v1/projects/", {"name": "Mine", "preset": "lsp14"}, format="json")
    assert created.status_code == 201
    annotator = django_user_model.objects.get(username="annotator")
    assert (
        token_client(annotator).post("/api/v1/projects/", {"name": "X", "preset": "lsp14"}, format="json").status_code
        == 403
    )


def test_the_scenes_project_labels_every_person_and_boxes_its_pool(tmp_path):
    from alweb.annotations.models import Annotation
    from alweb.images.models import Image

    counts_per_split = {"scenes_pool": 3, "scenes_train": 4, "scenes_val": 0}
    call_command("seed_demo", pool=0, train=0, val=0, credentials=tmp_path / "c.json", **counts_per_split)
    labels = Annotation.objects.filter(image__project__name="Demo: synthetic scenes").select_related("image")
    assert labels.count() == 4
    assert max(len(label.instances) for label in labels) > 1
    for label in labels:
        assert label.image.width == 640 and label.image.height == 480
        for instance in label.instances:
            x, y, w, h = instance["bbox"]
            assert w > 0 and h > 0 and x + w <= 640 and y + h <= 480
    pool = Image.objects.filter(project__name="Demo: synthetic scenes", split="pool")
    assert pool.count() == 3 and all(1 <= len(image.boxes) <= 4 for image in pool)
