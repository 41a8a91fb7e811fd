"""Web servers and workers share the cores: bounded inference threads in the web, a yielding worker,
torch threads that sleep when they have nothing to do."""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, os
import django
django.setup()
import torch
from alweb.process_roles import web_process_setup, worker_process_setup
web_process_setup()
web = torch.get_num_threads()
before = os.nice(0)
worker_process_setup()
print(json.dumps({"web": web, "worker": torch.get_num_threads(), "nice": os.nice(0) - before}))
"""


@pytest.mark.live
def test_the_web_bounds_its_threads_and_the_worker_yields_its_priority():
    # A child process: a nice value cannot be lowered again, and torch's threads are process-wide.
    env = {"DJANGO_SETTINGS_MODULE": "alweb.settings.test", "WEB_TORCH_THREADS": "1", "WORKER_TORCH_THREADS": "2"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env={**_base_env(), **env}
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"web": 1, "worker": 2, "nice": 10}


# A service process runs a torch operation on two threads, then waits: the CPU time it spends while
# waiting is its idle OpenMP thread spinning. GNU OpenMP's own default spins about 8-10 ms of it here.
IDLE_SCRIPT = """
import statistics, time
import alweb
import torch
torch.set_num_threads(2)
values = torch.randn(1_000_000)
spent = []
for _ in range(7):
    values.sum()
    start = time.process_time()
    time.sleep(0.03)
    spent.append(time.process_time() - start)
print(statistics.median(spent))
"""


def test_a_service_process_idle_torch_threads_stop_spinning_within_a_millisecond_or_so():
    env = {key: value for key, value in _base_env().items() if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    env["DJANGO_SETTINGS_MODULE"] = "alweb.settings.test"
    result = subprocess.run([sys.executable, "-c", IDLE_SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip().splitlines()[-1]) < 0.003


def _base_env() -> dict:
    return {key: value for key, value in os.environ.items() if not key.startswith(("WEB_TORCH", "WORKER_"))}
