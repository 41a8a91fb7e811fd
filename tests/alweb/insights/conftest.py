"""Rows as the loop leaves them: images, a ready cycle with its model, a selection partly labelled."""

import pytest


def keypoints_for(seed: float) -> list:
    """Fourteen [x, y, confidence] points, as the model pre-annotates an LSP image."""
    return [[10.0 + i + seed, 20.0 + seed, 0.5] for i in range(14)]


def label_for(seed: float) -> list:
    """Fourteen visible [x, y, v] points inside a 200x100 image."""
    return [[10.0 + i + seed, 20.0 + seed, 2] for i in range(14)]


@pytest.fixture
def make_images(project):
    """make(n, split=, state=) -> n images of the project, each with its own content hash."""
    from alweb.images.models import Image

    made = []

    def make(n: int, *, split: str = "pool", state: str = "unlabelled"):
        start = len(made)
        new = [
            Image.objects.create(
                project=project,
                name=f"img{i}.png",
                file=f"images/img{i}.png",
                sha256=f"{i:064x}",
                content_type="image/png",
                width=200,
                height=100,
                split=split,
                state=state,
            )
            for i in range(start, start + n)
        ]
        made.extend(new)
        return new

    return make


@pytest.fixture
def ready_cycle(project):
    """Cycle 1, ready, with its active model trained on Gamma-like losses."""
    import numpy as np

    from alweb.cycles.models import Cycle, ModelVersion

    cycle = Cycle.objects.create(
        project=project,
        index=1,
        state="ready",
        strategy="ll_plus_plus",
        budget=5,
        epochs=2,
        model_name="hg-tiny",
        metrics={"val_pck": 0.61, "spearman": 0.5, "kendall": 0.4, "pck_selected": 0.3, "labelled": 3},
    )
    losses = np.random.default_rng(0).gamma(2.0, 0.05, size=400)
    ModelVersion.objects.create(
        project=project,
        cycle=cycle,
        model_name="hg-tiny",
        checkpoint="models/m.pt",
        is_active=True,
        metrics={"val_pck": 0.61, "train_losses": [round(float(v), 6) for v in losses]},
    )
    return cycle


@pytest.fixture
def selection(ready_cycle, make_images):
    """Five selected images; the top three were labelled and measured."""
    from alweb.queue.models import QueueEntry
    from alweb.queue.services import queue_fill

    images = make_images(5)
    queue_fill(
        cycle=ready_cycle,
        entries=[
            {"image_id": image.id, "rank": rank, "predicted_loss": 6.0 - rank, "keypoints": keypoints_for(rank)}
            for rank, image in enumerate(images, start=1)
        ],
    )
    for rank, (realized, pck) in enumerate([(0.9, 0.2), (0.5, None), (0.7, 0.8)], start=1):
        QueueEntry.objects.filter(cycle=ready_cycle, rank=rank).update(state="done", realized_loss=realized, pck=pck)
    return images
