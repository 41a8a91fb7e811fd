"""POST /projects/{id}/predict/: keypoints, predicted loss, its percentile in the pool, flagging."""

import io
import time

import numpy as np
import pytest
from PIL import Image as PILImage

from alweb.cycles import artefacts
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.images.models import Image
from ml.models import create_model
from tests.alweb.cycles.seeding import seed_synthetic

pytestmark = pytest.mark.django_db


def png(width=96, height=80, seed=0) -> io.BytesIO:
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = f"upload-{seed}.png"
    return buffer


@pytest.fixture
def deployed(project, admin_user):
    """An active hg-tiny model with scores for a pool of 10 images, losses 0.0 to 0.9."""
    seed_synthetic(project=project, user=admin_user, train=0, val=0, pool=10)
    cycle = Cycle.objects.create(
        project=project, index=1, state="ready", strategy="ll_plus_plus", budget=5, epochs=1, model_name="hg-tiny"
    )
    version = ModelVersion.objects.create(project=project, cycle=cycle, model_name="hg-tiny", is_active=True)
    torch_model = create_model("hg-tiny", num_keypoints=14)
    version.checkpoint.name = artefacts.model_save(model=torch_model, name=f"models/test-{version.id}.pt")
    version.save(update_fields=["checkpoint"])
    for i, image in enumerate(Image.objects.filter(project=project).order_by("id")):
        Score.objects.create(
            model_version=version, image=image, predicted_loss=i / 10, keypoints=[[0, 0]] * 14, confidence=[0.5] * 14
        )
    return version


def test_predict_answers_keypoints_loss_percentile_and_flag(annotator_client, project, deployed):
    url = f"/api/v1/projects/{project.id}/predict/"
    response = annotator_client.post(url, {"file": png()}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["model_version"] == deployed.id
    assert len(body["keypoints"]) == 14
    assert all(0 <= x <= 96 and 0 <= y <= 80 and 0 <= c <= 1 for x, y, c in body["keypoints"])
    below = Score.objects.filter(model_version=deployed, predicted_loss__lt=body["predicted_loss"]).count()
    assert body["percentile"] == pytest.approx(100 * below / 10)
    assert body["flagged"] == (body["percentile"] >= project.flag_percentile)
    assert Image.objects.filter(project=project).count() == 10  # nothing stored without add_to_pool

    timings = []
    for seed in range(5):
        started = time.perf_counter()
        assert annotator_client.post(url, {"file": png(seed=seed)}, format="multipart").status_code == 200
        timings.append(time.perf_counter() - started)
    # The model stays loaded in the process: repeated predictions skip the load. (The 100 ms
    # target is measured by bench/cycle.py on a quiet machine; this bound only catches a reload.)
    assert sorted(timings)[2] < 2.0, timings


def test_add_to_pool_stores_the_image_and_queues_it_when_flagged(admin_client, annotator_client, project, deployed):
    project.flag_percentile = 0.0
    project.save(update_fields=["flag_percentile"])
    url = f"/api/v1/projects/{project.id}/predict/"
    assert annotator_client.post(url, {"file": png(), "add_to_pool": "true"}, format="multipart").status_code == 403
    body = admin_client.post(url, {"file": png(), "add_to_pool": "true"}, format="multipart").json()
    assert body["flagged"] and body["image_status"] == "created"
    image = Image.objects.get(pk=body["image_id"])
    assert image.state == "queued"
    queue = annotator_client.get(f"/api/v1/projects/{project.id}/queue/").json()["results"]
    assert queue[-1]["image"] == image.id


def test_predict_without_a_model_is_409_and_bad_files_400(admin_client, project):
    url = f"/api/v1/projects/{project.id}/predict/"
    assert admin_client.post(url, {"file": png()}, format="multipart").status_code == 409
    garbage = io.BytesIO(b"<html><script>alert(1)</script></html>")
    garbage.name = "x.jpg"
    assert admin_client.post(url, {}, format="multipart").status_code == 400


def test_predict_rejects_a_file_that_is_not_an_image(admin_client, project, deployed):
    garbage = io.BytesIO(b"<html><script>alert(1)</script></html>")
    garbage.name = "x.jpg"
    response = admin_client.post(f"/api/v1/projects/{project.id}/predict/", {"file": garbage}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_outsider_gets_404(outsider_client, project, deployed):
    response = outsider_client.post(f"/api/v1/projects/{project.id}/predict/", {"file": png()}, format="multipart")
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_add_to_pool_stores_nothing_when_queueing_fails_and_never_touches_an_existing_image(
    admin_client, project, deployed, monkeypatch
):
    from django.core.files.storage import default_storage

    from alweb.cycles import prediction

    project.flag_percentile = 0.0
    project.save(update_fields=["flag_percentile"])
    url = f"/api/v1/projects/{project.id}/predict/"
    existing = admin_client.post(url, {"file": png(seed=7), "add_to_pool": "true"}, format="multipart").json()
    kept = Image.objects.get(pk=existing["image_id"])
    images_before = set(Image.objects.values_list("id", flat=True))

    seen_by_others = []

    def crash(*, image, **kwargs):
        # Another request, on its own connection, must not see the image before it is queued:
        # it could label it or upload the same content, and then lose both to the clean-up.
        from django.db import connections

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM images_image WHERE id = %s", [image.id])
                seen_by_others.append(cursor.fetchone()[0])
        finally:
            other.close()
        raise RuntimeError("the queue is gone")

    monkeypatch.setattr(prediction, "queue_append", crash)
    files_before = stored_files(project)
    with pytest.raises(RuntimeError):
        admin_client.post(url, {"file": png(seed=8), "add_to_pool": "true"}, format="multipart")
    assert seen_by_others == [0]
    assert set(Image.objects.values_list("id", flat=True)) == images_before
    assert stored_files(project) == files_before

    # The same content again is a duplicate of the image another request stored: it is never deleted.
    again = admin_client.post(url, {"file": png(seed=7), "add_to_pool": "true"}, format="multipart").json()
    assert again["image_status"] == "duplicate" and again["image_id"] == kept.id
    assert default_storage.exists(kept.file.name)


def stored_files(project) -> set[str]:
    from pathlib import Path

    from django.conf import settings

    return {str(path) for path in (Path(settings.MEDIA_ROOT) / "images" / str(project.id)).rglob("*") if path.is_file()}
