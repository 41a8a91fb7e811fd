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
    rows: list[dict]  # one per image: image_id, predicted_loss, entropy, keypoints, confidence
    image_ids: list[int]
    features: np.ndarray  # [N,D] pooled features, in image_ids' order


def scoring_chunks(*, cycle: Cycle, model_version: ModelVersion) -> list[list[int]]:
    """The pool images this model version has not scored yet, in chunks for parallel workers."""
    scored = Score.objects.filter(model_version=model_version).values("image_id")
    ids = list(unlabelled_pool(project=cycle.project).exclude(id__in=scored).values_list("id", flat=True))
    size = settings.SCORING_CHUNK_SIZE
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def chunk_score(*, version: ModelVersion, image_ids: list[int]) -> ChunkScores:
    """Score images with a model version: predicted loss, entropy and keypoints clipped to each image."""
    images = list(Image.objects.filter(pk__in=image_ids).order_by("id").only("id", "file", "width", "height"))
    model = artefacts.cached_model(version.checkpoint.name)
    scores = score_pool(
        model,
        StoredImages([image.file.name for image in images]),
        device=artefacts.worker_device(),
        batch_size=settings.SCORING_BATCH_SIZE,
    )
    rows = [
        {
            "image_id": image.id,
            "predicted_loss": float(scores.predicted_loss[i]),
            "entropy": float(scores.heatmap_entropy[i]),
            "keypoints": np.round(
                clip_to_image(scores.keypoints[i], width=image.width, height=image.height), 2
            ).tolist(),
            "confidence": np.round(scores.confidence[i], 4).tolist(),
        }
        for i, image in enumerate(images)
    ]
    return ChunkScores(rows=rows, image_ids=[image.id for image in images], features=scores.features)
