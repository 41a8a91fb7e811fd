"""Stored artefacts survive a crash between writing the new file and putting it in place."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.core.files.storage import default_storage

from alweb.cycles import artefacts
from tests.live_processes import process_env

# A child process replaces a stored checkpoint and is killed by SIGKILL right before the rename,
# the moment after the new bytes were written: what a dead worker leaves behind.
KILLED_BEFORE_RENAME = textwrap.dedent(
    """
    import os, signal, django
    django.setup()
    from alweb.cycles import artefacts

    def killed(source, destination):
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = killed
    artefacts.replace_stored_file("checkpoints/cycle-1/train.pt", b"new checkpoint")
    """
)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Files of these tests' own, apart from the stored artefacts of other tests' cycles."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_a_kill_between_write_and_rename_leaves_the_previous_file_readable():
    name = artefacts.checkpoint_storage_name(1)
    artefacts.replace_stored_file(name, b"old checkpoint")

    child = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_RENAME], env=process_env(), capture_output=True, timeout=60
    )

    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == b"old checkpoint"
    # The half-done replacement is a hidden temporary beside it, never read as a checkpoint or features.
    leftovers = [entry for entry in os.listdir(os.path.dirname(default_storage.path(name))) if entry != "train.pt"]
    assert all(entry.startswith(".train.pt.") and entry.endswith(".tmp") for entry in leftovers), leftovers


@pytest.mark.django_db
def test_a_replacement_that_completes_is_read_whole_and_leaves_nothing_behind():
    name = artefacts.checkpoint_storage_name(2)
    artefacts.replace_stored_file(name, b"first")
    artefacts.replace_stored_file(name, b"second")
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == b"second"
    assert os.listdir(os.path.dirname(default_storage.path(name))) == ["train.pt"]
