"""Score an unlabelled pool: predicted loss, keypoints, confidence, features and heatmap entropy."""

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from ml.decode import decode_heatmaps, to_original
from ml.models import PoseModel, PoseOutput
from ml.precision import autocast_for
from ml.preprocess import ImageSource, letterbox, load_image, to_input
from ml.strategies import multipeak_entropy
from ml.targets import DEFAULT_PEAK

# Pillow releases the GIL while decoding and resizing, so two threads overlap decode with the forward.
DECODE_THREADS = 2


@dataclass
class PoolScores:
    predicted_loss: np.ndarray  # [N] head output; higher = the model expects to be more wrong
    keypoints: np.ndarray  # [N,K,2] x, y in original image pixels
    confidence: np.ndarray  # [N,K] heatmap maximum / target peak, clipped to [0, 1]
    features: np.ndarray  # [N,D] pooled last-stack features (coreset)
    heatmap_entropy: np.ndarray  # [N] multi-peak entropy of the last stack's heatmaps


def summarise_output(output: PoseOutput, transform: torch.Tensor, *, stride: float) -> dict[str, torch.Tensor]:
    """Per-image scores of one batch: output of the model on [B,3,S,S], transform [B,2,3] original -> input.

    Returns PoolScores' fields as CPU float32 tensors.
    """
    heatmaps = output.heatmaps[:, -1].float()
    keypoints, maxvals = decode_heatmaps(heatmaps, scale_to_input=stride)
    return {
        "predicted_loss": output.loss.float().cpu(),
        "keypoints": to_original(keypoints, transform.to(keypoints.device)).float().cpu(),
        "confidence": (maxvals / DEFAULT_PEAK).clamp(0.0, 1.0).cpu(),
        "features": output.features.float().cpu(),
        "heatmap_entropy": multipeak_entropy(heatmaps).cpu(),
    }


def _prepare(index: int, source: ImageSource, input_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode and letterbox one image: ([3,S,S] normalised, [2,3] original -> input)."""
    try:
        pixels, transform = letterbox(load_image(source), input_size)
    except Exception as error:
        # The caller holds a list of images; the position says which one to look at.
        raise ValueError(f"cannot read image {index} of the pool: {error}") from error
    return to_input(pixels), torch.from_numpy(transform)


def _batches(
    images: Iterable[ImageSource], input_size: int, batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Stream ([B,3,S,S], [B,2,3]) batches in input order, decoding at most two batches ahead."""
    with ThreadPoolExecutor(max_workers=DECODE_THREADS) as pool:
        pending: collections.deque = collections.deque()
        sources = enumerate(images)
        for index, source in itertools.islice(sources, 2 * batch_size):
            pending.append(pool.submit(_prepare, index, source, input_size))
        while pending:
            batch = [pending.popleft().result() for _ in range(min(batch_size, len(pending)))]
            for index, source in itertools.islice(sources, len(batch)):
                pending.append(pool.submit(_prepare, index, source, input_size))
            yield torch.stack([b[0] for b in batch]), torch.stack([b[1] for b in batch])


def score_pool(
    model: PoseModel,
    images: Iterable[ImageSource],
    *,
    device: str | torch.device,
    batch_size: int = 32,
    input_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PoolScores:
    """Score any number of images (paths, file-like objects or HxWx3 uint8 arrays, any sizes).

    Images are decoded lazily and streamed in batches; only the per-image scores are kept.
    progress, if given, is called with the number of images scored so far after every batch.
    """
    device = torch.device(device)
    input_size = input_size or model.config.input_size
    stride = input_size / (input_size // 4)
    model.eval().to(device)
    autocast = autocast_for(device)
    parts: dict[str, list[torch.Tensor]] = collections.defaultdict(list)
    done = 0
    with torch.inference_mode():
        for batch, transform in _batches(images, input_size, batch_size):
            with autocast:
                output = model(batch.to(device, non_blocking=True))
            for name, value in summarise_output(output, transform, stride=stride).items():
                parts[name].append(value)
            done += len(batch)
            if progress is not None:
                progress(done)
    if not done:
        k, d = model.config.num_keypoints, model.config.channels
        return PoolScores(
            np.zeros(0, np.float32),
            np.zeros((0, k, 2), np.float32),
            np.zeros((0, k), np.float32),
            np.zeros((0, d), np.float32),
            np.zeros(0, np.float32),
        )
    return PoolScores(**{name: torch.cat(values).numpy() for name, values in parts.items()})
