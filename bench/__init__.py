"""Benchmarks of the service and its models, each run as `python -m bench.<name>`.

They run torch as the service's processes do: idle OpenMP threads stop spinning soon after an
operation (ml/openmp.py). This package's import sets that, before any bench loads torch; an explicit
GOMP_SPINCOUNT in the environment wins, e.g. the library's default (300000) for a comparison.
"""

from ml.openmp import limit_idle_spinning

limit_idle_spinning()
