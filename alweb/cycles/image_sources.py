"""Images from Django's storage as the lazy sources ml/ reads, and predictions mapped back onto them."""

import io
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np

from alweb.cycles.stored_image_copies import stored_image_bytes

# Reads kept in flight while ml/ decodes and scores the images before them. An object store answers
# each read after a network round trip; one read at a time would add that wait to every image. Each
# read in flight holds an image in memory; on loopback (bench/cycle.py --storage s3) 1 to 8 scored alike.
READ_AHEAD = 4


@cache
def _readers(pid: int) -> ThreadPoolExecutor:
    """This process's reading threads, kept for its life: an object store's client is made once per
    thread (about 0.1 s of CPU for boto3), not once per chunk. By pid, because a forked child
    (a Celery worker) has none of its parent's threads."""
    return ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="stored-images")


def _read(name: str) -> io.BytesIO:
    return io.BytesIO(stored_image_bytes(name))


class StoredImages(Sequence):
    """A sequence of stored image names whose items are read from storage on access.

    ml/ decodes lazily, so only the images in flight are in memory, whatever the pool size:
    the one asked for, or, when iterated in order (scoring), READ_AHEAD more being read.
    """

    def __init__(self, names: list[str]):
        self.names = names

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return StoredImages(self.names[index])
        return _read(self.names[index])

    def __iter__(self) -> Iterator[io.BytesIO]:
        names = iter(self.names)
        reader = _readers(os.getpid())
        pending = deque(reader.submit(_read, name) for _, name in zip(range(READ_AHEAD), names))
        try:
            while pending:
                image = pending.popleft().result()
                following = next(names, None)
                if following is not None:
                    pending.append(reader.submit(_read, following))
                yield image
        finally:
            for read in pending:
                read.cancel()


def clip_to_image(points: np.ndarray, *, width: int, height: int) -> np.ndarray:
    """Keypoints [K,2] moved inside the image: a point predicted in the letterbox padding
    would be a pre-annotation nobody could see or drag."""
    return np.stack([points[:, 0].clip(0, width - 1), points[:, 1].clip(0, height - 1)], axis=1)
