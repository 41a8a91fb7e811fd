"""Several machines sharing files through an S3-compatible object store, with no file on a local disk.

A real S3 API server (moto's) runs on loopback; the web server and the Celery workers are separate
processes that reach its bucket through their environment only (ALWEB_STORAGE=s3 and AWS_*), as
machines of a deployment do, and the test process does too. MEDIA_ROOT points at an empty folder
that must stay empty.
"""

import hashlib
import io
import signal
import zipfile
from pathlib import Path

import numpy as np
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from alweb.cycles import artefacts
from alweb.cycles.image_sources import StoredImages
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.stored_image_copies import copies_folder
from alweb.images.models import Image
from alweb.settings.base import stored_files_storage
from ml import synthetic
from tests.alweb.cycles.seeding import seed_synthetic
from tests.live_processes import WebServerProcess, WorkerProcess, wait_for
from tests.s3_server import S3Server

BUCKET = "alweb-files"
POOL = 8


@pytest.fixture
def s3(tmp_path, settings, monkeypatch):
    """A bucket on a private S3 API server; this process and the ones it starts store their files there."""
    server = S3Server(tmp_path / "moto.log")
    server.start()
    try:
        environment = server.bucket_create(BUCKET)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        settings.STORAGES = {**settings.STORAGES, "default": stored_files_storage(environment)}
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.MEDIA_ROOT.mkdir()
        settings.ML_WORK_DIR = tmp_path / "machine-1"
        yield server
    finally:
        server.stop()


@pytest.fixture
def worker(s3, broker, transactional_db, tmp_path):
    from alweb.celery import app

    # Messages left by earlier tests name rows that no longer exist.
    app.control.purge()
    process = WorkerProcess(tmp_path)
    process.start()
    yield process
    process.kill(signal.SIGTERM)


@pytest.fixture
def web(s3, broker, transactional_db, tmp_path):
    server = WebServerProcess(tmp_path)
    server.start()
    yield server
    server.kill(signal.SIGTERM)


@pytest.fixture
def api(admin_user):
    from rest_framework.authtoken.models import Token

    session = requests.Session()
    session.headers["Authorization"] = f"Token {Token.objects.get_or_create(user=admin_user)[0].key}"
    return session


def pool_archive() -> bytes:
    sample = synthetic.generate(POOL, seed=7, size=128)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for index, pixels in enumerate(sample.images):
            image = io.BytesIO()
            PILImage.fromarray(pixels).save(image, format="PNG")
            zipped.writestr(f"pool/{index}.png", image.getvalue())
    return archive.getvalue()


def test_the_environment_chooses_the_storage():
    assert stored_files_storage({})["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        stored_files_storage({"ALWEB_STORAGE": "s3"})
    with pytest.raises(ImproperlyConfigured, match="'local' or 's3'"):
        stored_files_storage({"ALWEB_STORAGE": "gcs"})


# It starts the S3 server, a process of its own.
@pytest.mark.live
@pytest.mark.django_db
def test_artefacts_are_replaced_in_place_and_an_image_missing_from_the_bucket_is_404(
    s3, project, admin_user, admin_client
):
    name = artefacts.checkpoint_storage_name(1)
    artefacts.replace_stored_file(name, b"first")
    artefacts.replace_stored_file(name, b"second")
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == b"second"
    artefacts.pool_features_save(cycle_id=1, image_ids=[3, 4], features=np.ones((2, 5)))
    assert sorted(artefacts.pool_features_load(cycle_id=1)) == [3, 4]
    assert s3.keys(BUCKET) == [name, "cycles/cycle-1/pool-features/3.npz"]

    seed_synthetic(project=project, user=admin_user, train=0, val=0, pool=1)
    image = project.images.get()
    assert admin_client.get(f"/api/v1/images/{image.id}/file").status_code == 200
    s3.client().delete_object(Bucket=BUCKET, Key=image.file.name)
    assert admin_client.get(f"/api/v1/images/{image.id}/file").status_code == 404


@pytest.mark.live
@pytest.mark.django_db
def test_a_machine_reads_a_stored_image_from_the_bucket_once_and_then_from_its_own_copy(
    s3, project, admin_user, settings
):
    seed_synthetic(project=project, user=admin_user, train=0, val=0, pool=3)
    names = list(project.images.order_by("id").values_list("file", flat=True))
    first = [source.getvalue() for source in StoredImages(names)]
    for name in names:
        s3.client().delete_object(Bucket=BUCKET, Key=name)
    # Gone from the bucket, each is still this machine's copy of the same bytes; a name the machine
    # never read, or a machine with no copies, reads the bucket and finds nothing.
    assert [source.getvalue() for source in StoredImages(names)] == first
    assert [hashlib.sha256(data).hexdigest() in name for data, name in zip(first, names)] == [True] * 3
    settings.ML_WORK_DIR = settings.ML_WORK_DIR.parent / "machine-2"
    with pytest.raises(FileNotFoundError):
        StoredImages(names)[0]


@pytest.mark.live
@pytest.mark.django_db
def test_copies_stay_under_the_limit_least_recently_read_first_and_only_of_content_their_name_holds(
    s3, project, admin_user, settings
):
    seed_synthetic(project=project, user=admin_user, train=0, val=0, pool=3)
    images = list(project.images.order_by("id"))
    sizes = [image.file.size for image in images]
    settings.STORED_IMAGE_COPIES_BYTES = sizes[0] + sizes[1] + sizes[2] - 1
    list(StoredImages([image.file.name for image in images[:2]]))
    StoredImages([images[0].file.name])[0]  # read again: now the most recent of the two
    StoredImages([images[2].file.name])[0]  # over the limit: the least recently read copy goes
    copies = sorted(path.name for path in copies_folder().rglob("*") if path.is_file())
    assert copies == sorted(Path(images[i].file.name).name for i in (0, 2))

    # Content that is not what its name says (a file replaced behind the service's back) is never copied.
    impostor = images[0].file.name.replace(images[0].sha256, "0" * 64)
    s3.client().put_object(Bucket=BUCKET, Key=impostor, Body=b"not those bytes")
    assert StoredImages([impostor])[0].getvalue() == b"not those bytes"
    assert not any(path.name.startswith("0" * 64) for path in copies_folder().rglob("*"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_upload_serve_train_resume_score_and_export_with_files_only_in_the_bucket(
    s3, worker, web, api, project, admin_user, settings, tmp_path
):
    seed_synthetic(project=project, user=admin_user, train=16, val=4, pool=0)
    uploaded = api.post(
        f"{web.url}/api/v1/projects/{project.id}/images/",
        files=[("files", ("pool.zip", pool_archive(), "application/zip"))],
    )
    assert uploaded.status_code == 201, uploaded.text
    assert [result["status"] for result in uploaded.json()["results"]] == ["created"] * POOL

    image = Image.objects.get(pk=uploaded.json()["results"][0]["id"])
    served = api.get(f"{web.url}/api/v1/images/{image.id}/file")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert hashlib.sha256(served.content).hexdigest() == image.sha256
    assert served.content == s3.client().get_object(Bucket=BUCKET, Key=image.file.name)["Body"].read()

    started = api.post(
        f"{web.url}/api/v1/projects/{project.id}/cycles/",
        json={"budget": 4, "epochs": 8, "head_epochs": 0, "audit_fraction": 0, "model": "hg-tiny"},
    )
    assert started.status_code == 201, started.text
    cycle_id = started.json()["id"]
    checkpoint = artefacts.checkpoint_storage_name(cycle_id)
    # Killed once an epoch's checkpoint is in the bucket, while the next epoch trains.
    wait_for(lambda: checkpoint in s3.keys(BUCKET), timeout=120, worker=worker)
    worker.kill(signal.SIGKILL)
    assert Cycle.objects.get(pk=cycle_id).state == "training"

    # The next worker runs on another machine: its work folder has never seen this cycle.
    settings.ML_WORK_DIR = tmp_path / "machine-2"
    worker.start()
    done = wait_for(
        lambda: (cycle := Cycle.objects.get(pk=cycle_id)).state in ("ready", "failed") and cycle,
        timeout=150,
        worker=worker,
    )
    assert done.state == "ready", done.error
    assert done.attempts == 2
    version = ModelVersion.objects.get(cycle=done)
    assert version.metrics["resumed_at_epoch"] >= 1
    assert len(version.metrics["history"]) == 8
    assert Score.objects.filter(model_version=version).count() == POOL
    queue = api.get(f"{web.url}/api/v1/projects/{project.id}/queue/").json()["results"]
    assert len(queue) == 4

    exported = api.get(f"{web.url}/api/v1/projects/{project.id}/export/", params={"format": "coco"})
    assert exported.status_code == 200
    coco = exported.json()
    assert len(coco["images"]) == 16 + 4 + POOL
    assert {annotation["image_id"] for annotation in coco["annotations"]} == set(
        project.images.filter(split__in=["train", "val"]).values_list("id", flat=True)
    )

    keys = set(s3.keys(BUCKET))
    assert set(project.images.values_list("file", flat=True)) <= keys
    assert version.checkpoint.name in keys
    assert f"cycles/cycle-{cycle_id}/labelled-features.npy" in keys
    # The checkpoint was replaced in place each epoch, and deleted once the model was stored.
    assert not [key for key in keys if key.startswith("checkpoints/")]
    assert list(settings.MEDIA_ROOT.rglob("*")) == []
