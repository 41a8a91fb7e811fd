"""The scoring phase's work: the pool split into chunks, and one chunk scored by a model.

It computes and returns; the pipeline writes the scores and the features.
"""

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from alweb.cycles import artefacts
from alweb.cycles.image_sources import StoredImages, clip_to_image
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.selectors import unlabelled_pool
from alweb.images.models import Image
from ml.score import score_pool


@dataclass
class ChunkScores:
    rows: list[dict]  # one per image: image_id, predicted_loss, entropy, keypoints, confidence, instances
    image_ids: list[int]
    features: np.ndarray  # [N,D] pooled features of each image's top instance, in image_ids' order


def scoring_chunks(*, cycle: Cycle, model_version: ModelVersion) -> list[list[int]]:
    """The pool images this model version has not scored yet, in chunks for parallel workers."""
    scored = Score.objects.filter(model_version=model_version).values("image_id")
    ids = list(unlabelled_pool(project=cycle.project).exclude(id__in=scored).values_list("id", flat=True))
    size = settings.SCORING_CHUNK_SIZE
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def chunk_score(*, version: ModelVersion, image_ids: list[int]) -> ChunkScores:
    """Score images with a model version: every person instance, keypoints clipped to the image.

    An image with person boxes is scored crop by crop, and its priority is the highest
    predicted loss among its instances (see README, "Several people per image").
    """
    images = list(Image.objects.filter(pk__in=image_ids).order_by("id").only("id", "file", "width", "height", "boxes"))
    model = artefacts.cached_model(version.checkpoint.name)
    scores = score_pool(
        model,
        StoredImages([image.file.name for image in images]),
        boxes=[image.boxes or None for image in images],
        device=artefacts.worker_device(),
        batch_size=settings.SCORING_BATCH_SIZE,
    )
    rows, top_rows = [], []
    for position, image in enumerate(images):
        (instance_rows,) = np.nonzero(scores.image_index == position)
        ranked = instance_rows[np.argsort(-scores.predicted_loss[instance_rows], kind="stable")]
        instances = [_instance(scores, row, image=image) for row in ranked]
        top = instances[0]
        rows.append(
            {
                "image_id": image.id,
                "predicted_loss": top["predicted_loss"],
                "entropy": float(scores.heatmap_entropy[instance_rows].max()),
                "keypoints": [[x, y] for x, y, _ in top["keypoints"]],
                "confidence": [c for _, _, c in top["keypoints"]],
                "instances": instances if image.boxes else [],
            }
        )
        top_rows.append(ranked[0])
    features = scores.features[np.array(top_rows, dtype=np.int64)] if top_rows else scores.features
    return ChunkScores(rows=rows, image_ids=[image.id for image in images], features=features)


def _instance(scores, row: int, *, image: Image) -> dict:
    """One instance's prediction as stored: bbox, keypoints [[x, y, confidence]] and predicted_loss."""
    points = np.round(clip_to_image(scores.keypoints[row], width=image.width, height=image.height), 2)
    confidence = np.round(scores.confidence[row], 4)
    return {
        "bbox": np.round(scores.boxes[row].astype(np.float64), 2).tolist(),
        "keypoints": [[x, y, c] for (x, y), c in zip(points.tolist(), confidence.tolist(), strict=True)],
        "predicted_loss": float(scores.predicted_loss[row]),
    }
