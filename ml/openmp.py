"""How long torch's idle OpenMP threads spin before they sleep: set for a process before torch loads.

GNU OpenMP, the runtime of PyTorch's Linux builds, keeps each thread of a parallel region spinning
for a while after the region ends, so that the next region starts without waking anyone. Its default
spin lasts about 8-10 ms of CPU on this project's 2-core machine: after every torch operation on
more than one thread, a core stays busy that long with nothing to do. Scoring decodes the next batch
of images right after each forward, so that decode ran on the one core the spinning thread left it
(measured: 32 PNG crops took 14.7 ms to decode after a forward, 9.8 ms after a pause). 10,000
spins, well under a millisecond, still bridge the gap between one operation and the next of a
forward or a training step, which kept their speed.
"""

import os
import sys

IDLE_SPINS = 10_000


def limit_idle_spinning() -> bool:
    """Set GOMP_SPINCOUNT to IDLE_SPINS for this process and the ones it starts, unless it is set already.

    GNU OpenMP reads it once, when torch loads it, so call this before torch is imported (alweb.celery,
    which every service process imports first, does). Returns whether this process gets it: False once
    torch is loaded. An explicit GOMP_SPINCOUNT (or OMP_WAIT_POLICY) in the environment wins.
    """
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", str(IDLE_SPINS))
    return "torch" not in sys.modules
