"""Queued images for the editor's browser tests, made through the product's services.

No model is trained: a cycle row and its selection are written the way a finished cycle
writes them, with the model's keypoints given by the test.
"""

import io

from PIL import Image as PILImage

# Magenta is in no marker the editor draws, so a screenshot finds it on the image alone.
MARKER_COLOUR = (255, 0, 255)
MARKER_SIZE = 4


def predicted_row(*, width: int, height: int, count: int = 14, y: float | None = None, low: tuple = (3, 9)) -> list:
    """K points [x, y, confidence] on a horizontal row; the indexes in `low` get a low confidence."""
    y = height * 0.55 if y is None else y
    step = width / (count + 1)
    return [[round(step * (i + 1), 2), y, 0.2 if i in low else 0.9] for i in range(count)]


def pool_images(*, project, user, count: int):
    """The project's first `count` synthetic pool images (128x128 PNGs through the ingest service)."""
    from alweb.demo.services import synthetic_split_ensure

    synthetic_split_ensure(project=project, user=user, split="pool", count=count)
    return list(project.images.filter(split="pool").order_by("id")[:count])


def marker_image(*, project, size: tuple[int, int], markers: list[tuple[int, int]], name: str = "markers.png"):
    """A grey PNG with a magenta square at each marker (its top-left pixel); returns the stored image.

    A marker's centre in image coordinates is (x + MARKER_SIZE / 2, y + MARKER_SIZE / 2).
    """
    from alweb.images.services import images_ingest

    picture = PILImage.new("RGB", size, (120, 124, 130))
    for x, y in markers:
        for dx in range(MARKER_SIZE):
            for dy in range(MARKER_SIZE):
                picture.putpixel((x + dx, y + dy), MARKER_COLOUR)
    data = io.BytesIO()
    picture.save(data, format="PNG")
    data.seek(0)
    (result,) = images_ingest(project=project, files=[(name, data)])
    assert result.status == "created", result.reason
    return project.images.get(name=name)


def fill_queue(
    *, project, images, predictions: list[list] | None = None, instances: list[list[dict]] | None = None
) -> None:
    """Make the images the project's queue, ranked in the given order, each with its predicted points.

    instances: each image's people as the model found them ({bbox, keypoints, predicted_loss},
    highest loss first), in place of one prediction covering the image.
    """
    from alweb.cycles.models import Cycle
    from alweb.queue.services import queue_fill

    index = Cycle.objects.filter(project=project).count() + 1
    cycle = Cycle.objects.create(
        project=project,
        index=index,
        state="ready",
        strategy="ll_plus_plus",
        budget=len(images),
        epochs=1,
        model_name="hg-tiny",
    )
    if instances:
        predictions = [people[0]["keypoints"] for people in instances]
    predictions = predictions or [predicted_row(width=image.width, height=image.height) for image in images]
    entries = [
        # As if the queue were the top of a pool ten times its size.
        {
            "image_id": image.id,
            "rank": rank,
            "predicted_loss": round(2.0 - rank * 0.1, 4),
            "keypoints": points,
            "instances": instances[rank - 1] if instances else [],
            "top_percent": 100.0 * rank / (10 * len(images)),
        }
        for rank, (image, points) in enumerate(zip(images, predictions), start=1)
    ]
    queue_fill(cycle=cycle, entries=entries)
