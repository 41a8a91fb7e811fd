"""fit: the pose and head phases, the two-group schedule, side heads, and exact resume in either phase."""

import dataclasses
import io

import numpy as np
import pytest
import torch

from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.data import KeypointDataset
from ml.models import create_head, create_model
from ml.skeletons import LSP14
from ml.train import SideHead, TrainConfig, fit

TINY = {"channels": 16, "depth": 2, "input_size": 32}


def _dataset(n, *, train, seed=0, visibility=2):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 255, size=(n, 32, 32, 3), dtype=np.uint8)
    keypoints = rng.uniform(4, 28, size=(n, 14, 2))
    for i in range(n):  # a bright dot under every joint gives the network something to find
        for x, y in keypoints[i].round().astype(int):
            images[i, y, x] = 255
    return KeypointDataset(images, keypoints, np.full((n, 14), visibility), skeleton=LSP14, input_size=32, train=train)


def _model(seed, **cfg):
    torch.manual_seed(seed)
    return create_model("hg-tiny", **TINY, **cfg)


def _side_heads(model, seed=5):
    torch.manual_seed(seed)
    return {
        "learning_loss": SideHead(create_head("gap", model.config), "learning_loss"),
        "ll_plus_plus/conv": SideHead(create_head("conv", model.config), "ll_plus_plus"),
    }


def _assert_same(a: torch.nn.Module, b: torch.nn.Module, atol=1e-6):
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=atol, msg=name)


class _Interrupt(Exception):
    pass


def test_overfits_one_batch():
    model = _model(0)
    reports = []
    config = TrainConfig(epochs=60, batch_size=4, lr=3e-2, progress_every=1)
    result = fit(model, _dataset(4, train=False), config=config, device="cpu", progress=reports.append)
    assert result.history[-1]["pose"] < 0.3 * result.history[0]["pose"]
    assert not model.training
    last = reports[-1]
    assert (last.phase, last.epoch, last.epochs, last.step, last.steps, last.epoch_end) == ("pose", 60, 60, 1, 1, True)
    assert set(last.losses) == {"pose", "head", "total"} and last.eta_s == pytest.approx(0.0, abs=1e-6)


def _rates_after_each_epoch(tmp_path, config, data, *, stop_after=None):
    """(pose rate, head rates) in the checkpoint after every epoch, the rates the next epoch runs at;
    with stop_after, the run is interrupted after that epoch and resumed from its checkpoint."""
    rates = []

    def record(p):
        if p.epoch_end:
            groups = load_checkpoint(tmp_path / "c.pt")["optimizer"]["param_groups"]
            rates.append((groups[0]["lr"], [g["lr"] for g in groups[1:]]))
            if p.epoch == stop_after:
                raise _Interrupt

    for _ in range(2 if stop_after else 1):
        model = _model(0)
        side_heads = {"extra": SideHead(create_head("gap", model.config), "learning_loss")}
        try:
            fit(
                model,
                data,
                config=config,
                device="cpu",
                checkpoint_path=tmp_path / "c.pt",
                progress=record,
                side_heads=side_heads,
            )
        except _Interrupt:
            stop_after = None
    return rates


def test_cosine_lowers_the_pose_rate_to_a_hundredth_and_holds_the_head_rate(tmp_path):
    config = TrainConfig(epochs=3, head_epochs=1, batch_size=4, lr=1e-3, head_lr=3e-4)
    rates = _rates_after_each_epoch(tmp_path, config, _dataset(4, train=False))
    assert [pose for pose, _ in rates] == pytest.approx([5.05e-4, 1e-5, 1e-5, 1e-5])
    assert all(heads == [3e-4, 3e-4] for _, heads in rates)


def test_plateau_halves_the_pose_rate_only_also_across_a_resume(tmp_path):
    # No labelled joint: the pose loss is 0 in every epoch, a plateau from the second epoch on, so
    # after patience 2 the fourth epoch halves the pose rate; the head groups keep theirs. Resumed
    # after the second epoch, the scheduler must still remember the first one.
    config = TrainConfig(epochs=5, batch_size=4, lr=1e-3, head_lr=3e-4, schedule="plateau")
    rates = _rates_after_each_epoch(tmp_path, config, _dataset(4, train=False, visibility=0), stop_after=2)
    assert [pose for pose, _ in rates] == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4, 5e-4])
    assert all(heads == [3e-4, 3e-4] for _, heads in rates)


def test_head_phase_leaves_the_network_and_its_batchnorm_statistics_alone():
    model = _model(0, dropout=0.2)
    heads = _side_heads(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    side_before = {name: [p.clone() for p in side.module.parameters()] for name, side in heads.items()}
    reports = []
    config = TrainConfig(epochs=0, head_epochs=2, batch_size=4, progress_every=1)
    result = fit(model, _dataset(8, train=True), config=config, device="cpu", progress=reports.append, side_heads=heads)
    for name, value in model.backbone.state_dict().items():  # BatchNorm running statistics included
        assert torch.equal(value, before[f"backbone.{name}"]), name
    assert any(not torch.equal(v, before[f"head.{k}"]) for k, v in model.head.state_dict().items())
    for name, side in heads.items():
        assert any(not torch.equal(p, q) for p, q in zip(side.module.parameters(), side_before[name], strict=True))
    assert [(p.phase, p.epoch, p.epochs, p.step) for p in reports if p.epoch_end] == [
        ("head", 1, 2, 2),
        ("head", 2, 2, 2),
    ]
    assert set(reports[-1].losses) == {"pose", "head", "head:learning_loss", "head:ll_plus_plus/conv", "total"}
    assert [row["phase"] for row in result.history] == ["head", "head"]
    assert (result.epochs, result.start_epoch) == (2, 0)


def test_progress_runs_through_both_phases_and_the_eta_covers_both():
    reports = []
    config = TrainConfig(epochs=2, head_epochs=2, batch_size=4, progress_every=1)
    result = fit(_model(0), _dataset(8, train=False), config=config, device="cpu", progress=reports.append)
    ends = [(p.phase, p.epoch, p.epochs) for p in reports if p.epoch_end]
    assert ends == [("pose", 1, 2), ("pose", 2, 2), ("head", 1, 2), ("head", 2, 2)]
    last_pose = [p for p in reports if p.phase == "pose"][-1]
    assert last_pose.eta_s > 0  # the head phase is still to come
    assert reports[-1].eta_s == pytest.approx(0.0, abs=1e-6)
    assert [row["phase"] for row in result.history] == ["pose", "pose", "head", "head"]
    assert result.epochs == 4


def test_side_heads_equal_separate_runs():
    """A side head on the same network learns exactly what the same head learns as a model's own head."""
    config = TrainConfig(epochs=2, head_epochs=1, batch_size=4, seed=1)
    data = _dataset(8, train=True)
    shared = _model(0, dropout=0.2)
    side = _side_heads(shared)
    fit(shared, data, config=config, device="cpu", side_heads=side)
    for name, objective, kind in (
        ("learning_loss", "learning_loss", "gap"),
        ("ll_plus_plus/conv", "ll_plus_plus", "conv"),
    ):
        alone = _model(0, dropout=0.2, head=kind)
        alone.head.load_state_dict(_side_heads(alone)[name].module.state_dict())
        fit(alone, data, config=dataclasses.replace(config, objective=objective), device="cpu")
        _assert_same(alone.backbone, shared.backbone)
        _assert_same(alone.head, side[name].module)


@pytest.mark.parametrize("stop", [("pose", 1), ("head", 1)])
def test_resume_in_either_phase_with_side_heads(tmp_path, stop):
    """Both objectives (the model's own head LL++, a side head LL), dropout, augmentation, the cosine
    schedule and BatchNorm statistics all resume to where an uninterrupted run gets."""
    data = _dataset(4, train=True)
    # Three cosine epochs: the rate of the last one comes from the scheduler's checkpointed state.
    config = TrainConfig(epochs=3, head_epochs=2, batch_size=4, seed=3)
    straight = _model(0, dropout=0.2)
    straight_heads = _side_heads(straight)
    fit(straight, data, config=config, device="cpu", checkpoint_path=tmp_path / "a.pt", side_heads=straight_heads)

    def interrupt(p):
        if p.epoch_end and (p.phase, p.epoch) == stop:
            raise _Interrupt

    interrupted = _model(0, dropout=0.2)
    with pytest.raises(_Interrupt):
        fit(
            interrupted,
            data,
            config=config,
            device="cpu",
            checkpoint_path=tmp_path / "b.pt",
            progress=interrupt,
            side_heads=_side_heads(interrupted),
        )
    state = load_checkpoint(tmp_path / "b.pt")
    assert (state["phase"], state["epoch"]) == (stop[0], 1 if stop[0] == "pose" else 4)
    resumed = _model(1, dropout=0.2)  # different inits: everything must come from the checkpoint
    resumed_heads = _side_heads(resumed, seed=6)
    result = fit(
        resumed, data, config=config, device="cpu", checkpoint_path=tmp_path / "b.pt", side_heads=resumed_heads
    )
    assert result.start_epoch == state["epoch"] and result.epochs == 5
    assert [row["phase"] for row in result.history] == ["pose", "pose", "pose", "head", "head"]
    _assert_same(straight, resumed)
    for name, side in straight_heads.items():
        _assert_same(side.module, resumed_heads[name].module)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt", "b.pt"]  # no temp file left


def test_config_and_side_heads_name_what_they_accept():
    with pytest.raises(ValueError, match="cosine"):
        TrainConfig(schedule="step")
    with pytest.raises(ValueError, match="ll_plus_plus"):
        TrainConfig(objective="mse")
    with pytest.raises(ValueError, match="learning_loss"):
        SideHead(torch.nn.Identity(), "mse")


def test_checkpoint_file_objects_and_warm_start():
    source = _model(0)
    buffer = io.BytesIO()
    save_checkpoint({"model": source.state_dict(), "epoch": 3}, buffer)
    state = load_checkpoint(buffer)
    assert state["epoch"] == 3
    target = _model(1)
    fit(target, _dataset(4, train=False), config=TrainConfig(epochs=0), device="cpu", warm_start=state["model"])
    _assert_same(source, target, atol=0)
