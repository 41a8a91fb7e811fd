"""Score an unlabelled pool, one row per person: predicted loss, keypoints, confidence, features, entropy.

Each image is decoded once and cut into one crop per person box (ml.topdown); an image without boxes
is one person covering the whole image, which is its letterbox, as before boxes existed.
"""

import collections
import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
import torch

from ml.decode import decode_heatmaps, to_original
from ml.inference import inference_model
from ml.models import PoseModel, PoseOutput
from ml.peak_entropy import multipeak_entropy
from ml.precision import autocast_for
from ml.preprocess import ImageSource, letterbox, letterbox_transform, load_image_for_scale, standardise_batch
from ml.score_streams import run_in_streams
from ml.targets import DEFAULT_PEAK
from ml.topdown import DEFAULT_PADDING, check_padding, checked_box, crop_instances, crop_scale, whole_image_box


@dataclass
class PoolScores:
    """One row per scored person (a crop); without boxes, one row per image."""

    predicted_loss: np.ndarray  # [M] head output; higher = the model expects to be more wrong
    keypoints: np.ndarray  # [M,K,2] x, y in original image pixels
    confidence: np.ndarray  # [M,K] heatmap maximum / target peak, clipped to [0, 1]
    features: np.ndarray  # [M,D] pooled last-stack features (coreset)
    heatmap_entropy: np.ndarray  # [M] multi-peak entropy of the last stack's heatmaps
    image_index: np.ndarray  # [M] int64, the position of each row's image among the inputs; non-decreasing
    boxes: np.ndarray  # [M,4] float32 COCO box cropped, image pixels (the whole image's for an image without boxes)


def per_image_max(values, image_index, n_images: int) -> tuple[np.ndarray, np.ndarray]:
    """Each image's largest value among its rows and the row holding it: (max [n_images], row [n_images] int64).

    values [M] and image_index [M] (PoolScores.image_index), e.g. an image's priority is the highest
    predicted loss among its people. An image without rows gets -inf and row -1; NaN never beats a number.
    """
    values = np.asarray(values, dtype=np.float64)
    image_index = np.asarray(image_index, dtype=np.int64)
    if values.shape != image_index.shape or values.ndim != 1:
        raise ValueError(f"values {values.shape} and image_index {image_index.shape} must be [M] each")
    if len(image_index) and not (image_index.min() >= 0 and image_index.max() < n_images):
        raise ValueError(f"image_index must lie in [0, {n_images})")
    best, rows = np.full(n_images, -np.inf), np.full(n_images, -1, dtype=np.int64)
    # By image, then by value from the largest (NaN last): each image's first row holds its maximum.
    order = np.lexsort((-values, image_index))
    images, first = np.unique(image_index[order], return_index=True)
    rows[images] = order[first]
    best[images] = values[rows[images]]
    return best, rows


def summarise_output(output: PoseOutput, transform: torch.Tensor, *, stride: float) -> dict[str, torch.Tensor]:
    """Per-row scores of one batch: output of the model on [B,3,S,S], transform [B,2,3] original -> input.

    Returns PoolScores' model-derived fields as CPU float32 tensors.
    """
    # One contiguous copy for the decode and the entropy, which read whole maps (the network's are channels-last).
    heatmaps = output.heatmaps[:, -1].float().contiguous()
    keypoints, maxvals = decode_heatmaps(heatmaps, scale_to_input=stride)
    return {
        "predicted_loss": output.loss.float().cpu(),
        "keypoints": to_original(keypoints, transform.to(keypoints.device)).float().cpu(),
        "confidence": (maxvals / DEFAULT_PEAK).clamp(0.0, 1.0).cpu(),
        "features": output.features.float().cpu(),
        "heatmap_entropy": multipeak_entropy(heatmaps).cpu(),
    }


class _Crops(NamedTuple):
    """Crops of people, in order: inputs [M,S,S,3] uint8 as decoded (standardise_batch turns a batch of them
    into the network's input), transforms [M,2,3] float64 image -> crop, boxes [M,4] float32, image_index
    [M] int64. numpy arrays until batched, then tensors: gathering a batch in numpy keeps torch's intra-op
    threads, which the forward's own wait on, out of it."""

    inputs: np.ndarray | torch.Tensor
    transforms: np.ndarray | torch.Tensor
    boxes: np.ndarray | torch.Tensor
    image_index: np.ndarray | torch.Tensor

    def split(self, n: int) -> tuple["_Crops", "_Crops"]:
        """The first n crops and the rest."""
        return _Crops(*(t[:n] for t in self)), _Crops(*(t[n:] for t in self))


class _Batch(NamedTuple):
    crops: _Crops
    images_done: int  # images whose every crop is in this batch or an earlier one


def _image_boxes(index: int, boxes) -> np.ndarray | None:
    """One image's boxes as [M,4] float64, or None (no boxes: the whole image is one person)."""
    if boxes is None:
        return None
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return None
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"boxes of image {index} of the pool must be [M,4], got shape {array.shape}")
    try:
        for box in array:
            checked_box(box)
    except ValueError as error:
        raise ValueError(f"image {index} of the pool: {error}") from error
    return array


def _pool_items(
    images: Iterable[ImageSource], boxes: Sequence | None
) -> Iterator[tuple[int, ImageSource, np.ndarray | None]]:
    """(position, source, its boxes [M,4] or None) for each image, checking that boxes lines up with images."""
    count = 0
    for index, source in enumerate(images):
        if boxes is not None and index >= len(boxes):
            raise ValueError(f"boxes has {len(boxes)} entries but the pool has more images")
        yield index, source, None if boxes is None else _image_boxes(index, boxes[index])
        count += 1
    if boxes is not None and count != len(boxes):
        raise ValueError(f"boxes has {len(boxes)} entries for {count} images")


def _needed_scale(image_size: tuple[int, int], boxes: np.ndarray | None, *, input_size: int, padding: float) -> float:
    """The finest resolution (crop pixels per image pixel) any of an image's crops needs; boxes [M,4] or None."""
    if boxes is None:  # crop_scale of a box covering the image: the letterbox's, without the box's checks
        return float(np.abs(letterbox_transform(*image_size, input_size)[:, :2]).max())
    return max(crop_scale(box, image_size=image_size, input_size=input_size, padding=padding) for box in boxes)


def _crop_image(index: int, source: ImageSource, boxes: np.ndarray | None, input_size: int, padding: float) -> _Crops:
    """Decode one image once, at the lowest resolution its crops allow, and crop each of its people.

    boxes and padding are already checked, so an error here is the image's.
    """
    needed_scale = partial(_needed_scale, boxes=boxes, input_size=input_size, padding=padding)
    try:
        image = load_image_for_scale(source, needed_scale)
    except Exception as error:
        # The caller holds a list of images; the position says which one to look at.
        raise ValueError(f"cannot read image {index} of the pool: {error}") from error
    if boxes is None:
        # crop_instances of a box covering the image is its letterbox; most pools have no boxes, and the
        # box's checks cost as much as decoding a small image. Views, not stacks: batching copies them once.
        pixels, transform = letterbox(image, input_size)
        box = np.array([whole_image_box(*image.size)], dtype=np.float32)
        return _Crops(pixels[None], transform[None], box, np.array([index], dtype=np.int64))
    crops = crop_instances(image, boxes, input_size=input_size, padding=padding)
    return _Crops(
        np.stack([pixels for pixels, _ in crops]),
        np.stack([transform for _, transform in crops]),
        boxes.astype(np.float32),
        np.full(len(boxes), index, dtype=np.int64),
    )


def _crop_images(
    items: list[tuple[int, ImageSource, np.ndarray | None]], input_size: int, padding: float
) -> list[_Crops]:
    return [_crop_image(index, source, boxes, input_size, padding) for index, source, boxes in items]


def _runs(
    items: Iterator[tuple[int, ImageSource, np.ndarray | None]], batch_size: int
) -> Iterator[list[tuple[int, ImageSource, np.ndarray | None]]]:
    """Whole images, in order, in runs of at most batch_size crops (an image with more is a run of its own)."""
    run: list = []
    crops = 0
    for item in items:
        count = _crop_count(item)
        if run and crops + count > batch_size:
            yield run
            run, crops = [], 0
        run.append(item)
        crops += count
    if run:
        yield run


def _crop_count(item: tuple[int, ImageSource, np.ndarray | None]) -> int:
    _, _, boxes = item
    return 1 if boxes is None else len(boxes)


def _shares(items: list, parts: int) -> list[list]:
    """items cut, in order, into at most `parts` runs of about equal crop counts."""
    crops = np.cumsum([_crop_count(item) for item in items])
    # Run k ends at the first item whose running count reaches k / parts of the whole.
    ends = np.searchsorted(crops, crops[-1] * np.arange(1, parts + 1) / parts) + 1
    starts = np.concatenate([[0], ends[:-1]])
    return [items[start:end] for start, end in zip(starts, ends, strict=True) if end > start]


def _batches(
    items: Iterator[tuple[int, ImageSource, np.ndarray | None]],
    *,
    input_size: int,
    padding: float,
    batch_size: int,
) -> Iterator[_Batch]:
    """Stream batches of batch_size crops in input order (a batch may hold people of several images, and an
    image's people may span batches), decoding on every core the batch and the next one: beside a GPU, which
    computes on its own, the cores decode the next batch while the forward of this one runs."""
    threads = len(os.sched_getaffinity(0))
    # Pillow and numpy release the GIL while decoding, resizing and standardising.
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: collections.deque = collections.deque()  # futures of lists of _Crops (one _Crops per image)
        ahead = 0  # crops submitted and not yet taken from their future

        def submit() -> None:
            # One task per thread for the crops still lacking, not one per image: each hand-over
            # between threads costs about as much as decoding a small image.
            nonlocal ahead
            wanted, taken = 2 * batch_size - ahead - held_count, []
            while wanted > 0 and (item := next(items, None)) is not None:
                taken.append(item)
                wanted -= _crop_count(item)
            if not taken:
                return
            for share in _shares(taken, threads):
                pending.append(pool.submit(_crop_images, share, input_size, padding))
            ahead += sum(_crop_count(item) for item in taken)

        held: collections.deque[_Crops] = collections.deque()  # one image's crops not yet batched, per entry
        held_count = images_done = 0
        while True:
            submit()  # what this batch and the next still lack
            if not (pending or held):
                return
            while held_count < batch_size and pending:
                for crops in pending.popleft().result():
                    ahead -= len(crops.boxes)
                    held.append(crops)
                    held_count += len(crops.boxes)
                submit()
            parts, wanted = [], min(batch_size, held_count)
            while wanted:
                crops = held.popleft()
                if len(crops.boxes) > wanted:
                    crops, rest = crops.split(wanted)
                    held.appendleft(rest)
                else:
                    images_done += 1
                parts.append(crops)
                wanted -= len(crops.boxes)
                held_count -= len(crops.boxes)
            batch = _Crops(*(torch.from_numpy(np.concatenate(field)) for field in zip(*parts, strict=True)))
            yield _Batch(batch, images_done)


class _BatchScorer:
    """Runs the network on batches of crops and summarises them: (PoolScores' fields as tensors, images done)."""

    def __init__(self, network: PoseModel, device: torch.device, *, stride: float, batch_size: int):
        self.network, self.device, self.stride, self.batch_size = network, device, stride, batch_size

    def score_batch(self, batch: _Batch) -> tuple[dict[str, torch.Tensor], int]:
        crops = batch.crops
        # inference_mode and autocast hold for the calling thread only: each stream enters them itself.
        with torch.inference_mode():
            with autocast_for(self.device):
                output = self.network(standardise_batch(crops.inputs.to(self.device, non_blocking=True)))
            rows = summarise_output(output, crops.transforms, stride=self.stride)
        return rows | {"image_index": crops.image_index, "boxes": crops.boxes}, batch.images_done

    def score_run(
        self, items: list[tuple[int, ImageSource, np.ndarray | None]], *, input_size: int, padding: float
    ) -> tuple[dict[str, torch.Tensor], int]:
        """Decode a run of images in this thread and score their crops, batch_size at a time."""
        crops = _Crops(
            *(np.concatenate(field) for field in zip(*_crop_images(items, input_size, padding), strict=True))
        )
        images_done = items[-1][0] + 1
        scored = [
            self.score_batch(_Batch(_Crops(*map(torch.from_numpy, part)), images_done))
            for part in _split_every(crops, self.batch_size)
        ]
        if len(scored) == 1:
            return scored[0]
        return {name: torch.cat([rows[name] for rows, _ in scored]) for name in scored[0][0]}, images_done


def _split_every(crops: _Crops, size: int) -> Iterator[_Crops]:
    while len(crops.boxes) > size:
        part, crops = crops.split(size)
        yield part
    yield crops


def score_pool(
    model: PoseModel,
    images: Iterable[ImageSource],
    *,
    boxes: Sequence | None = None,
    device: str | torch.device,
    batch_size: int = 32,
    input_size: int | None = None,
    padding: float = DEFAULT_PADDING,
    progress: Callable[[int], None] | None = None,
) -> PoolScores:
    """Score any number of images (paths, file-like objects or HxWx3 uint8 arrays, any sizes), person by person.

    boxes, when given, lines up with images: for each image None or an empty sequence (one person, the
    whole image) or an array-like [M,4] of COCO boxes [x, y, w, h] in its pixels, each cropped with
    `padding` as ml.data.KeypointDataset crops them for training. Images are decoded lazily, once each,
    and their crops streamed in batches of at most batch_size; only the per-person scores are kept. On a
    CPU each torch thread runs a stream of its own (ml/score_streams.py), and a batch holds whole images
    unless one image alone has more people; on a GPU batches are full, and an image's people may span two.
    progress, if given, is called after every batch with the number of images whose every person is scored.
    """
    check_padding(padding)  # before any image is decoded
    device = torch.device(device)
    input_size = input_size or model.config.input_size
    scorer = _BatchScorer(
        inference_model(model.eval().to(device)), device, stride=input_size / (input_size // 4), batch_size=batch_size
    )
    items = _pool_items(images, boxes)
    if device.type == "cpu":  # one stream per core (ml/score_streams.py)
        scored = run_in_streams(
            _runs(items, batch_size), partial(scorer.score_run, input_size=input_size, padding=padding)
        )
    else:
        batches = _batches(items, input_size=input_size, padding=padding, batch_size=batch_size)
        scored = (scorer.score_batch(batch) for batch in batches)
    parts: dict[str, list[torch.Tensor]] = collections.defaultdict(list)
    # Closed at once if progress raises (a cancelled cycle): the streams then stop, and the caller's
    # torch threads come back, before the error reaches the caller.
    with contextlib.closing(scored):
        for rows, images_done in scored:
            for name, value in rows.items():
                parts[name].append(value)
            if progress is not None:
                progress(images_done)
    if not parts:
        k, d = model.config.num_keypoints, model.config.feature_size
        return PoolScores(
            predicted_loss=np.zeros(0, np.float32),
            keypoints=np.zeros((0, k, 2), np.float32),
            confidence=np.zeros((0, k), np.float32),
            features=np.zeros((0, d), np.float32),
            heatmap_entropy=np.zeros(0, np.float32),
            image_index=np.zeros(0, np.int64),
            boxes=np.zeros((0, 4), np.float32),
        )
    return PoolScores(**{name: torch.cat(values).numpy() for name, values in parts.items()})
