"""How each kind of process shares the machine's cores: web servers answer /predict/ at once,
workers train and score with what is left.

On a machine where a web server and a worker share a few cores, both running torch with one
thread per core oversubscribes them: each slows the other far more than twofold, and an
annotator's prediction waits behind a training step. So the web process runs inference on a
small thread budget (WEB_TORCH_THREADS), and the worker keeps every core but runs at a lower
scheduling priority (WORKER_NICE): when a prediction arrives the kernel gives it a core at
once, and when none does the worker loses nothing. A separate inference process would isolate
the two as well, at the price of one more service to run and a hop per request.

Workers also keep the memory they free (ml/allocator.py): every batch of a forward pass allocates
its activations afresh, and handing them back to the kernel makes the next batch fault them in again.
Web servers keep glibc's defaults, so that their memory falls back after a large request.
"""

import os

import torch
from django.conf import settings

from ml.allocator import keep_freed_memory


def web_process_setup() -> None:
    """Inference in the web server: a bounded number of threads, at normal priority."""
    torch.set_num_threads(settings.WEB_TORCH_THREADS)


def worker_process_setup() -> None:
    """Training and scoring in a worker: all the threads torch wants, yielding to web servers."""
    keep_freed_memory()
    if settings.WORKER_TORCH_THREADS:
        torch.set_num_threads(settings.WORKER_TORCH_THREADS)
    if settings.WORKER_NICE:
        os.nice(settings.WORKER_NICE)
