"""Scoring streams on a CPU: results in order, one torch thread each, a bounded read-ahead, errors that stop."""

import threading
import time

import numpy as np
import pytest
import torch

from ml.models import create_model
from ml.score import score_pool
from ml.score_streams import MAX_STREAMS, run_in_streams, stream_layout


@pytest.fixture
def two_torch_threads():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


def test_results_come_in_job_order_whichever_stream_finishes_first(two_torch_threads):
    def work(job: int) -> int:
        time.sleep(0.02 if job % 2 == 0 else 0.0)  # even jobs finish after the odd ones started beside them
        return job * 10

    assert list(run_in_streams(iter(range(9)), work)) == [job * 10 for job in range(9)]


def test_each_stream_runs_on_one_torch_thread_and_the_caller_gets_its_threads_back(two_torch_threads):
    seen = []

    def work(job: int) -> int:
        torch.ones(4096).sum()  # a parallel operation: the thread's OpenMP count is fixed on its first one
        seen.append(threading.current_thread().name)
        return torch.get_num_threads()

    assert list(run_in_streams(iter(range(6)), work)) == [1] * 6
    assert threading.main_thread().name not in seen
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("threads, layout", [(1, (1, 1)), (2, (2, 1)), (4, (4, 1)), (7, (3, 2)), (16, (4, 4))])
def test_streams_get_one_thread_each_up_to_the_most_streams_then_share_the_threads(threads, layout):
    assert MAX_STREAMS == 4
    assert stream_layout(threads) == layout


def test_beyond_the_most_streams_each_stream_runs_on_several_torch_threads(two_torch_threads):
    torch.set_num_threads(8)  # restored by the fixture
    names = set()

    def work(job: int) -> int:
        torch.ones(4096).sum()
        names.add(threading.current_thread().name)
        time.sleep(0.02)  # so that every stream takes a job
        return torch.get_num_threads()

    assert list(run_in_streams(iter(range(16)), work)) == [2] * 16
    assert len(names) == 4
    assert torch.get_num_threads() == 8


def test_a_single_job_runs_in_the_callers_thread_with_all_its_threads(two_torch_threads):
    def work(job: int) -> tuple[str, int]:
        return threading.current_thread().name, torch.get_num_threads()

    assert list(run_in_streams(iter([0]), work)) == [(threading.current_thread().name, 2)]
    assert list(run_in_streams(iter([]), work)) == []


def test_jobs_are_taken_a_bounded_number_at_a_time(two_torch_threads):
    taken = 0

    def jobs():
        nonlocal taken
        for job in range(100):
            taken += 1
            yield job

    results = run_in_streams(jobs(), lambda job: job)
    assert next(results) == 0
    assert taken <= 2 * 2 + 1  # twice the streams in flight, and the one whose turn made room
    results.close()


def test_an_error_reaches_the_caller_and_queued_jobs_never_start(two_torch_threads):
    started = []

    def work(job: int) -> int:
        started.append(job)
        if job == 1:
            raise ValueError("cannot read image 1 of the pool")
        time.sleep(0.01)
        return job

    with pytest.raises(ValueError, match="image 1"):
        list(run_in_streams(iter(range(50)), work))
    assert max(started) < 10
    assert torch.get_num_threads() == 2


def test_an_error_in_progress_stops_the_streams_and_gives_the_threads_back(two_torch_threads):
    torch.manual_seed(0)
    model = create_model("hg-tiny", channels=16, depth=2, input_size=32).eval()
    images = [np.zeros((32, 32, 3), dtype=np.uint8)] * 8

    def cancel(images_done: int) -> None:
        raise RuntimeError("cycle cancelled")

    with pytest.raises(RuntimeError, match="cancelled") as caught:
        score_pool(model, images, device="cpu", batch_size=2, progress=cancel)
    # The traceback keeps score_pool's frame alive; the streams must not wait for it to go.
    assert caught.value.__traceback__ is not None
    assert torch.get_num_threads() == 2
