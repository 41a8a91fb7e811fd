"""A cycle, pool images and a filled queue for the queue tests."""

import pytest

from tests.alweb.queue.selections import selection


@pytest.fixture
def make_cycle(project):
    def make(index: int = 1):
        from alweb.cycles.models import Cycle

        return Cycle.objects.create(
            project=project,
            index=index,
            state="ready",
            strategy="ll_plus_plus",
            budget=10,
            epochs=1,
            model_name="hg-tiny",
        )

    return make


@pytest.fixture
def cycle(make_cycle):
    return make_cycle()


@pytest.fixture
def make_images(project):
    """make(n) -> n unlabelled pool images of the project, each with its own content hash."""
    from alweb.images.models import Image

    made = []

    def make(n: int):
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
            )
            for i in range(start, start + n)
        ]
        made.extend(new)
        return new

    return make


@pytest.fixture
def queued(cycle, make_images):
    """Five images in the queue, the first one ranked highest."""
    from alweb.queue.services import queue_fill

    images = make_images(5)
    queue_fill(cycle=cycle, entries=selection(images))
    return images
