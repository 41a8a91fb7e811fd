"""images_ingest on its own: the contract other importers rely on, rollback, and racing uploads."""

import io
from unittest import mock

import pytest
from django.db import DatabaseError

from tests.alweb.images.conftest import assert_nothing_stored, jpeg, stored_files

pytestmark = pytest.mark.django_db


def files(*seeds):
    return [(f"dir/{seed}.jpg", io.BytesIO(jpeg(seed=seed))) for seed in seeds]


def test_results_come_back_in_order_under_the_names_given(project, media):
    from alweb.images.services import images_ingest

    results = images_ingest(
        project=project, files=files(1, 2, 1) + [("dir/bad.jpg", io.BytesIO(b"nope"))], split="train"
    )
    assert [(r.name, r.status) for r in results] == [
        ("dir/1.jpg", "created"),
        ("dir/2.jpg", "created"),
        ("dir/1.jpg", "duplicate"),
        ("dir/bad.jpg", "rejected"),
    ]
    assert results[0].image.pk == results[0].id == results[2].id
    assert results[0].image.split == "train"
    assert results[3].image is None and results[3].id is None and results[3].reason


def test_many_small_batches_behave_like_one(project, media, monkeypatch):
    from alweb.images import services

    monkeypatch.setattr(services, "FLUSH_BYTES", 1)
    results = services.images_ingest(project=project, files=files(1, 2, 3, 2))
    assert [r.status for r in results] == ["created", "created", "created", "duplicate"]
    assert len(stored_files(media)) == 3


def test_storage_failure_mid_request_rolls_everything_back(admin_client, images_url, media):
    from django.core.files.storage import default_storage

    real_save, calls = default_storage.save, []

    def failing_save(name, content, **kwargs):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_save(name, content, **kwargs)

    admin_client.raise_request_exception = False
    with mock.patch.object(default_storage, "save", failing_save):
        parts = [io.BytesIO(jpeg(seed=seed)) for seed in range(5)]
        response = admin_client.post(images_url, {"files": parts}, format="multipart")
    assert response.status_code == 500
    assert len(calls) == 3
    assert_nothing_stored(media)


def test_database_failure_mid_request_rolls_everything_back(admin_client, images_url, media):
    from alweb.images.models import Image

    admin_client.raise_request_exception = False
    with mock.patch.object(Image.objects, "bulk_create", side_effect=DatabaseError("constraint check failed")):
        parts = [io.BytesIO(jpeg(seed=seed)) for seed in range(3)]
        response = admin_client.post(images_url, {"files": parts}, format="multipart")
    assert response.status_code == 500
    assert_nothing_stored(media)


def test_same_content_stored_by_a_racing_request_becomes_a_duplicate(project, media, monkeypatch):
    """Another upload commits the same content between our duplicate check and our insert."""
    from alweb.images import services
    from alweb.images.models import Image

    real_store, racing = services._store, {}

    def store_then_race(**kwargs):
        new = real_store(**kwargs)
        image = new[0].image
        racing["image"] = Image.objects.create(
            project=project,
            name="theirs.jpg",
            file="images/theirs.jpg",
            sha256=image.sha256,
            content_type="image/jpeg",
            width=image.width,
            height=image.height,
        )
        return new

    monkeypatch.setattr(services, "_store", store_then_race)
    results = services.images_ingest(project=project, files=files(1, 2))
    assert [r.status for r in results] == ["duplicate", "created"]
    assert results[0].id == racing["image"].pk
    assert Image.objects.count() == 2
    # Our copy of the raced content is gone; the other image's file is theirs to keep.
    assert [path.name for path in stored_files(media)] == [f"{results[1].image.sha256}.jpg"]


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_the_same_content_store_it_once(project, media, monkeypatch):
    """A real race: the second request commits while the first sits between its duplicate check and its insert."""
    import threading

    from django.db import connection

    from alweb.images import services
    from alweb.images.models import Image

    checked, other_done = threading.Event(), threading.Event()
    real_store = services._store

    def store_then_wait(**kwargs):
        new = real_store(**kwargs)
        if threading.current_thread().name == "first":
            checked.set()
            assert other_done.wait(10)
        return new

    monkeypatch.setattr(services, "_store", store_then_wait)
    results = {}

    def upload(name, seeds):
        try:
            results[name] = services.images_ingest(project=project, files=files(*seeds))
        finally:
            connection.close()

    first = threading.Thread(target=upload, args=("first", (1, 2)), name="first")
    first.start()
    assert checked.wait(10)
    upload("second", (1,))
    other_done.set()
    first.join(10)
    assert [r.status for r in results["second"]] == ["created"]
    assert [r.status for r in results["first"]] == ["duplicate", "created"]
    assert results["first"][0].id == results["second"][0].id
    assert Image.objects.count() == 2 and len(stored_files(media)) == 2
