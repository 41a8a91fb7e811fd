"""The scoring phase: chunks of the unlabelled pool scored in parallel, written idempotently."""
import io
import logging
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from alweb.cycles import model_store
from alweb.cycles.events import publish_cycle_progress
from alweb.cycles.image_sources import StoredImages, clip_to_image
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.selectors import unlabelled_pool
from alweb.images.models import Image
from ml.score import score_pool

logger = logging.getLogger(__name__)


def scoring_chunks(*, cycle: Cycle, model_version: ModelVersion) -> list[list[int]]:
    """The pool images this model version has not scored yet, in chunks for parallel workers."""
    scored = Score.objects.filter(model_version=model_version).values("image_id")
    ids = list(unlabelled_pool(project=cycle.project).exclude(id__in=scored).values_list("id", flat=True))
    size = settings.SCORING_CHUNK_SIZE
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def score_chunk(*, cycle_id: int, model_version_id: int, image_ids: list[int]) -> bool:
    """Score images with the cycle's model and upsert their scores; True when the pool is done.

    Running the same chunk twice overwrites the same rows, so a redelivered task is harmless.
    """
    cycle = Cycle.objects.filter(pk=cycle_id, state=Cycle.State.SCORING).first()
    if cycle is None:
        return False
    version = ModelVersion.objects.get(pk=model_version_id)
    images = list(Image.objects.filter(pk__in=image_ids).order_by("id").only("id", "file", "width", "height"))
    model = model_store.cached_model(version.checkpoint.name)
    scores = score_pool(model, StoredImages([image.file.name for image in images]),
                        device=model_store.device(), batch_size=settings.SCORING_BATCH_SIZE)
    Score.objects.bulk_create(
        [
            Score(
                model_version=version, image_id=image.id, predicted_loss=float(scores.predicted_loss[i]),
                entropy=float(scores.heatmap_entropy[i]),
                keypoints=np.round(clip_to_image(scores.keypoints[i], width=image.width, height=image.height), 2).tolist(),
                confidence=np.round(scores.confidence[i], 4).tolist(),
            )
            for i, image in enumerate(images)
        ],
        update_conflicts=True,
        unique_fields=["model_version", "image"],
        update_fields=["predicted_loss", "entropy", "keypoints", "confidence"],
    )
    if cycle.strategy == "coreset":
        _store_pool_features(cycle_id=cycle_id, image_ids=[image.id for image in images], features=scores.features)
    return _record_progress(cycle=cycle, version=version)


def _record_progress(*, cycle: Cycle, version: ModelVersion) -> bool:
    done = Score.objects.filter(model_version=version).count()
    total = cycle.progress.get("steps") or done
    progress = {"phase": "scoring", "step": done, "steps": total, "epoch": None, "epochs": None,
                "eta_s": None, "losses": cycle.progress.get("losses", {})}
    # Any worker scoring a chunk keeps the cycle's lease alive: recovery waits while chunks land.
    Cycle.objects.filter(pk=cycle.pk, state=Cycle.State.SCORING).update(
        progress=progress, lease_expires_at=timezone.now() + timedelta(seconds=settings.CYCLE_LEASE_SECONDS)
    )
    publish_cycle_progress(project_id=cycle.project_id, cycle_id=cycle.id, progress=progress)
    return done >= total


def features_prefix(cycle_id: int) -> str:
    return f"cycles/cycle-{cycle_id}/pool-features/"


def _store_pool_features(*, cycle_id: int, image_ids: list[int], features: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, image_ids=np.asarray(image_ids, dtype=np.int64), features=features.astype(np.float32))
    name = f"{features_prefix(cycle_id)}{image_ids[0]}.npz"
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(buffer.getvalue()))


def pool_features(*, cycle_id: int) -> dict[int, np.ndarray]:
    """Image id -> pooled feature, from every stored chunk of the cycle."""
    features: dict[int, np.ndarray] = {}
    _, files = default_storage.listdir(features_prefix(cycle_id))
    for name in files:
        with default_storage.open(features_prefix(cycle_id) + name, "rb") as stored:
            chunk = np.load(io.BytesIO(stored.read()))
            features.update(zip(chunk["image_ids"].tolist(), chunk["features"]))
    return features
