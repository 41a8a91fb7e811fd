"""Selections as a cycle hands them to the queue."""


def prediction(seed: float) -> list:
    """Fourteen [x, y, confidence] points, as the model pre-annotates an LSP image."""
    return [[10.0 + i + seed, 20.0 + seed, 0.5] for i in range(14)]


def selection(images, losses=None) -> list[dict]:
    """A cycle's selection of the images: ranked by predicted loss, highest first."""
    losses = losses or [float(len(images) - i) for i in range(len(images))]
    ranked = sorted(zip(images, losses), key=lambda pair: -pair[1])
    return [
        {"image_id": image.id, "rank": rank, "predicted_loss": loss, "keypoints": prediction(rank)}
        for rank, (image, loss) in enumerate(ranked, start=1)
    ]
