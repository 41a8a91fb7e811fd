import io

import numpy as np
import pytest
import torch

from ml.data import KeypointDataset
from ml.models import create_model
from ml.skeletons import LSP14
from ml.train import TrainConfig, fit, load_checkpoint, save_checkpoint

TINY = dict(channels=16, depth=2, input_size=32)


def _dataset(n, *, train, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 255, size=(n, 32, 32, 3), dtype=np.uint8)
    keypoints = rng.uniform(4, 28, size=(n, 14, 2))
    for i in range(n):  # a bright dot under every joint gives the network something to find
        for x, y in keypoints[i].round().astype(int):
            images[i, y, x] = 255
    return KeypointDataset(images, keypoints, np.full((n, 14), 2), skeleton=LSP14, input_size=32, train=train)


def _model(seed, **cfg):
    torch.manual_seed(seed)
    return create_model("hg-tiny", **TINY, **cfg)


def test_overfits_one_batch():
    model = _model(0)
    reports = []
    config = TrainConfig(epochs=60, batch_size=4, lr=3e-2, progress_every=1)
    result = fit(model, _dataset(4, train=False), config=config, device="cpu", progress=reports.append)
    assert result.history[-1]["pose"] < 0.3 * result.history[0]["pose"]
    assert not model.training
    last = reports[-1]
    assert (last.epoch, last.epochs, last.step, last.steps, last.epoch_end) == (60, 60, 1, 1, True)
    assert set(last.losses) == {"pose", "head", "total"} and last.eta_s == pytest.approx(0.0, abs=1e-6)


class _Interrupt(Exception):
    pass


@pytest.mark.parametrize("objective", ["ll_plus_plus", "learning_loss"])
def test_resume_equals_uninterrupted(tmp_path, objective):
    data = _dataset(8, train=True)
    config = TrainConfig(epochs=2, batch_size=4, objective=objective, seed=3)
    straight = _model(0, dropout=0.2)
    fit(straight, data, config=config, device="cpu", checkpoint_path=tmp_path / "a.pt")

    def stop_after_first_epoch(p):
        if p.epoch_end and p.epoch == 1:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        fit(_model(0, dropout=0.2), data, config=config, device="cpu", checkpoint_path=tmp_path / "b.pt",
            progress=stop_after_first_epoch)
    assert load_checkpoint(tmp_path / "b.pt")["epoch"] == 1
    resumed = _model(1, dropout=0.2)   # a different init: everything must come from the checkpoint
    result = fit(resumed, data, config=config, device="cpu", checkpoint_path=tmp_path / "b.pt")
    assert result.start_epoch == 1 and len(result.history) == 2
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6, msg=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt", "b.pt"]   # no temp file left


def test_checkpoint_file_objects_and_warm_start():
    source = _model(0)
    buffer = io.BytesIO()
    save_checkpoint({"model": source.state_dict(), "epoch": 3}, buffer)
    state = load_checkpoint(buffer)
    assert state["epoch"] == 3
    target = _model(1)
    fit(target, _dataset(4, train=False), config=TrainConfig(epochs=0), device="cpu", warm_start=state["model"])
    for a, b in zip(source.state_dict().values(), target.state_dict().values()):
        assert torch.equal(a, b)
