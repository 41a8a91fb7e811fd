import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from ml.preprocess import standardise, standardise_batch

# A child process runs the same forward pass again and again, as scoring does batch after batch, and
# prints the page faults of the last five; with glibc's defaults this one takes about 37,000.
_FAULTS_OF_REPEATED_FORWARDS = textwrap.dedent(
    """
    import resource, torch
    from ml.allocator import keep_freed_memory
    from ml.models import create_model
    print(keep_freed_memory())
    network, inputs = create_model("hg-tiny").eval(), torch.randn(8, 3, 128, 128)
    def forwards(n):
        with torch.inference_mode():
            for _ in range(n):
                network(inputs)
    forwards(2)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    forwards(5)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_activations_are_reused_without_faulting_their_pages_in_again():
    result = subprocess.run(
        [sys.executable, "-c", _FAULTS_OF_REPEATED_FORWARDS], capture_output=True, text=True, check=True
    )
    took_effect, faults = result.stdout.split()
    assert took_effect == "True"
    assert int(faults) < 5_000


def test_batch_standardisation_matches_per_image_standardisation():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(3, 17, 23, 3), dtype=np.uint8)
    batch = standardise_batch(torch.from_numpy(pixels))
    assert batch.shape == (3, 3, 17, 23)
    assert batch.dtype == torch.float32
    assert batch.is_contiguous(memory_format=torch.channels_last)
    expected = np.stack([standardise(image) for image in pixels]).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(batch.numpy(), expected)
