"""Failures of a deployed model, on the fly: predict one image and say how unusual its loss is."""

import io
from dataclasses import dataclass

import numpy as np
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image as PILImage

from alweb.cycles import artefacts
from alweb.cycles.image_sources import StoredImages, clip_to_image
from alweb.cycles.models import Score
from alweb.cycles.selectors import active_model_version
from alweb.errors import Conflict
from alweb.images.boxes import validate_box
from alweb.images.decoding import decode_upload
from alweb.images.models import Image
from alweb.images.services import CREATED, images_ingest
from alweb.projects.models import Project
from alweb.queue.services import queue_append
from ml.score import score_pool


@dataclass
class Prediction:
    keypoints: list[list[float]]  # [K] [x, y, confidence] in upright-image pixels
    predicted_loss: float
    percentile: float | None  # share of the pool's current scores below this one, 0-100
    flagged: bool
    model_version: int
    image_id: int | None = None
    image_status: str | None = None


def image_predict(*, project: Project, name: str, data: bytes, add_to_pool: bool) -> Prediction:
    """Run the active model on an upload; with add_to_pool, store it and queue it when flagged."""
    version = active_model_version(project=project)
    if version is None or not version.checkpoint:
        raise Conflict("The project has no trained model yet; run a cycle first.")
    decoded = decode_upload(data)
    pixels = np.asarray(PILImage.open(io.BytesIO(decoded.data)).convert("RGB"))
    model = artefacts.cached_model(version.checkpoint.name)
    scores = score_pool(model, [pixels], device=artefacts.worker_device(), batch_size=1)
    loss = float(scores.predicted_loss[0])
    points = clip_to_image(scores.keypoints[0], width=decoded.width, height=decoded.height)
    keypoints = [
        [round(float(x), 2), round(float(y), 2), round(float(c), 4)] for (x, y), c in zip(points, scores.confidence[0])
    ]
    percentile = _percentile(version_id=version.id, loss=loss)
    flagged = percentile is not None and percentile >= project.flag_percentile
    prediction = Prediction(
        keypoints=keypoints, predicted_loss=loss, percentile=percentile, flagged=flagged, model_version=version.id
    )
    if add_to_pool:
        _add_to_pool(project=project, name=name, data=data, prediction=prediction)
    return prediction


@dataclass
class InstancePrediction:
    bbox: list[float]  # [x, y, w, h], clipped to the image
    keypoints: list[list[float]]  # [K] [x, y, confidence] in upright-image pixels
    predicted_loss: float
    model_version: int


def instance_predict(*, image: Image, bbox: list) -> InstancePrediction:
    """The active model's keypoints for a person box an annotator drew on a stored image."""
    box = validate_box(bbox, where="bbox", field="bbox", width=image.width, height=image.height)
    version = active_model_version(project=image.project)
    if version is None or not version.checkpoint:
        raise Conflict("The project has no trained model yet; run a cycle first.")
    model = artefacts.cached_model(version.checkpoint.name)
    scores = score_pool(
        model, StoredImages([image.file.name]), boxes=[[box]], device=artefacts.worker_device(), batch_size=1
    )
    points = clip_to_image(scores.keypoints[0], width=image.width, height=image.height)
    keypoints = [
        [round(float(x), 2), round(float(y), 2), round(float(c), 4)] for (x, y), c in zip(points, scores.confidence[0])
    ]
    return InstancePrediction(
        bbox=box, keypoints=keypoints, predicted_loss=float(scores.predicted_loss[0]), model_version=version.id
    )


def _percentile(*, version_id: int, loss: float) -> float | None:
    scores = Score.objects.filter(model_version_id=version_id)
    total = scores.count()
    if not total:
        return None
    return round(100.0 * scores.filter(predicted_loss__lt=loss).count() / total, 2)


def _add_to_pool(*, project: Project, name: str, data: bytes, prediction: Prediction) -> None:
    """Store the upload in the pool and, when flagged, queue it: both or neither.

    One transaction: if queueing fails, the new image row was never visible to anyone, so no
    other upload (a duplicate of it) or label can refer to it when it is rolled back.
    """
    created = None
    try:
        with transaction.atomic():
            result = images_ingest(project=project, files=[(name, io.BytesIO(data))])[0]
            prediction.image_id, prediction.image_status = result.id, result.status
            created = result.image if result.status == CREATED else None
            if created is not None and prediction.flagged:
                queue_append(
                    project=project,
                    image=created,
                    predicted_loss=prediction.predicted_loss,
                    keypoints=prediction.keypoints,
                    top_percent=100.0 - prediction.percentile,
                )
    except Exception:
        if created is not None:
            # Storage never overwrites, so this name is this request's own file, and its row is gone.
            default_storage.delete(created.file.name)
        raise
