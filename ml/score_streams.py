"""Scoring on a CPU as one stream per core: each stream decodes its own batch and runs its own forward.

One forward on every core and a decode beside it share the cores badly: the decode preempts one of the
forward's threads, and the others wait for it at the end of every operation, so the decode costs the
whole machine. With one torch thread per stream no thread waits for another: while one stream decodes,
the others compute, and the cores stay busy. Measured on a 2-core machine (hg-tiny, batches of 32):
the forward alone runs as fast either way, and score_pool from PNG files rose from 503 to 573 images/s.
The cost is memory: every stream holds one batch's activations (a second stream raised the peak from
1.47 to 1.88 GiB for hg-paper, from 0.36 to 0.47 GiB for hg-tiny). So a machine with more than
MAX_STREAMS cores runs MAX_STREAMS streams of several threads each.
"""

import collections
import contextlib
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

Job = TypeVar("Job")
Result = TypeVar("Result")


# At most this many batches' activations at once; beyond it, streams get more threads each.
MAX_STREAMS = 4


def stream_layout(threads: int) -> tuple[int, int]:
    """(streams, torch threads each) for `threads` torch threads: one thread a stream, at most MAX_STREAMS streams."""
    each = math.ceil(threads / MAX_STREAMS)
    return threads // each, each


@contextlib.contextmanager
def threads_per_stream() -> Iterator[int]:
    """Yield how many streams the calling thread's torch threads make (stream_layout); meanwhile threads
    that start get the torch threads of one stream each.

    PyTorch gives each thread its OpenMP thread count on the thread's first parallel operation, from the
    process-wide setting torch.set_num_threads writes, and keeps it. So the setting is lowered for as long
    as the streams start, and restored after; a thread elsewhere in the process that runs its first
    operation meanwhile would also get the lower count (slower, never wrong).
    """
    threads = torch.get_num_threads()
    streams, each = stream_layout(threads)
    torch.set_num_threads(each)
    try:
        yield streams
    finally:
        torch.set_num_threads(threads)


def run_in_streams(jobs: Iterator[Job], work: Callable[[Job], Result]) -> Iterator[Result]:
    """work(job) for every job, in job order, on one stream per torch thread of the caller (see MAX_STREAMS).

    A single job runs in the caller's thread with all its torch threads (a prediction for one image
    gets its answer soonest that way). At most twice as many jobs as streams are taken from `jobs`
    at a time, so a pool of any size holds a bounded number of decoded batches.
    """
    first, second = next(jobs, None), next(jobs, None)
    if second is None:
        if first is not None:
            yield work(first)
        return
    with threads_per_stream() as streams, ThreadPoolExecutor(max_workers=streams) as pool:
        pending: collections.deque = collections.deque([pool.submit(work, first), pool.submit(work, second)])
        try:
            for job in jobs:
                pending.append(pool.submit(work, job))
                if len(pending) >= 2 * streams:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            # On an error (or when the caller stops early) the queued jobs never start.
            for future in pending:
                future.cancel()
