"""Fixtures shared by the whole suite (users in every role, a project, API clients) and its `live` marker."""

import pytest
import torch

# Django-dependent imports happen inside fixtures, so that tests/ml runs without Django.

# The tests' models are tiny: with a second thread every small op waits at an OpenMP barrier,
# and training steps took 40 times longer on two busy cores. The worker processes the tests
# start run on one thread too (OMP_NUM_THREADS=1).
torch.set_num_threads(1)

# Fixtures that start a process or a service of their own (a redis-server, a web server, a
# Celery worker). A test that uses one, even through another fixture, is `live`, which
# `make test-fast` leaves out; tests that start processes without them carry the mark.
# `broker` is among them although some tests only enqueue a task after commit: without a
# broker Celery retries that send for about 19 s before the product logs and drops it.
LIVE_FIXTURES = frozenset({"broker", "embedded_redis", "live_server", "web_server", "worker"})


def pytest_collection_modifyitems(items):
    for item in items:
        if LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


@pytest.fixture
def make_user(django_user_model):
    def make(username: str, password: str = "pw-for-tests"):
        return django_user_model.objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def admin_user(make_user):
    """Staff, as project creators are by default (ALWEB_PROJECT_CREATORS=staff)."""
    user = make_user("ada")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def annotator_user(make_user):
    return make_user("ann")


@pytest.fixture
def outsider_user(make_user):
    return make_user("otto")


@pytest.fixture
def project(admin_user, annotator_user):
    """An LSP-14 project administered by admin_user and labelled by annotator_user."""
    from alweb.projects.services import membership_set, project_create

    project = project_create(user=admin_user, name="Runners", preset="lsp14")
    membership_set(project=project, username=annotator_user.username, role="annotator")
    return project


def token_client(user):
    """An API client that authenticates like a REST client, with the user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def client_for():
    return token_client


@pytest.fixture
def admin_client(admin_user):
    return token_client(admin_user)


@pytest.fixture
def annotator_client(annotator_user):
    return token_client(annotator_user)


@pytest.fixture
def outsider_client(outsider_user):
    return token_client(outsider_user)


@pytest.fixture
def anonymous_client():
    return token_client(None)


@pytest.fixture
def embedded_redis():
    """A running embedded redis-server in a private var directory, stopped afterwards."""
    import shutil
    import tempfile
    from pathlib import Path

    from alweb.embedded_redis import EmbeddedRedis

    # A short path: unix socket paths are limited to about 100 bytes.
    var_dir = Path(tempfile.mkdtemp(prefix="alweb-var-"))
    server = EmbeddedRedis(var_dir)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def broker():
    """Redis at REDIS_URL when set (yields None), else an embedded redis-server private to the tests.

    The test settings point Celery and Channels at that embedded server's socket.
    """
    import os

    if os.environ.get("REDIS_URL"):
        yield None
        return
    from django.conf import settings

    from alweb.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(settings.TEST_VAR_DIR)
    server.start()
    yield server
    server.stop()
