"""Web servers and workers share the cores: bounded inference threads in the web, a yielding worker."""

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


def _base_env() -> dict:
    return {key: value for key, value in os.environ.items() if not key.startswith(("WEB_TORCH", "WORKER_"))}
