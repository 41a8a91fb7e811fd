"""Atomic checkpoints to paths or file-like objects, and the RNG state that makes resume exact."""

import os
import random
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

CheckpointTarget = str | os.PathLike | BinaryIO


def save_checkpoint(state: dict[str, Any], target: CheckpointTarget) -> None:
    """torch.save state to a path (atomically: temp file in the same folder, fsync, os.replace) or to a
    writable file-like object (e.g. a Django storage file), which is written as is."""
    if hasattr(target, "write"):
        torch.save(state, target)
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        # A reader sees the old checkpoint or the new one, never half of one, even after kill -9.
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(source: CheckpointTarget, *, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint from a path or readable file-like object. weights_only: a checkpoint is data,
    so loading one from storage cannot run code."""
    if hasattr(source, "seek"):
        source.seek(0)
    return torch.load(source, map_location=map_location, weights_only=True)


def capture_rng(loader_generator: torch.Generator, device: torch.device) -> dict[str, Any]:
    """Every RNG a training epoch draws from: torch (augmentation, dropout), CUDA, numpy, python, and
    the DataLoader's generator (shuffle order and worker seeds). Plain tensors and tuples only."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "python": random.getstate(),
        "loader": loader_generator.get_state(),
    }
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: dict[str, Any], loader_generator: torch.Generator, device: torch.device | None) -> None:
    """Inverse of capture_rng."""
    torch.set_rng_state(state["torch"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    loader_generator.set_state(state["loader"])
    if device is not None and device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
