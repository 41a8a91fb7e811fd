"""Stored artefacts of cycles: models, training checkpoints and features, in Django's storage.

Every worker machine reads and writes them through the storage API, so they can live on a
shared disk or an object store. A file that is replaced (a checkpoint after each epoch, a
chunk's features scored again) goes through `replace_stored_file`, which never deletes first:
a crash at any moment leaves either the old or the new file readable.
"""

import dataclasses
import io
import os
import threading
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.models import PoseModel
from ml.models.pose import PoseConfig

_cache_lock = threading.Lock()


def worker_device() -> torch.device:
    """The device this process trains and scores on: the GPU when there is one."""
    wanted = settings.ML_DEVICE
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(wanted)


def replace_stored_file(name: str, data: bytes) -> str:
    """Store data under name, replacing any file there; returns the stored name.

    On a local disk the new bytes go to a temporary file beside the old one, which is then
    renamed over it (atomic on POSIX). Storages without local paths are object stores, whose
    writes replace an object whole (an S3 PUT). Their save() would give the new file a name of
    its own beside the old one (the settings keep uploads from replacing each other), so the
    bytes go to the backend's _save(), which writes exactly under name.
    """
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:
        return default_storage._save(name, ContentFile(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return name


def _delete_stored_file(name: str) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)


def _read_stored_file(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def model_save(*, model: PoseModel, name: str) -> str:
    """Write the model's weights and configuration to storage; returns the stored name."""
    buffer = io.BytesIO()
    save_checkpoint({"config": dataclasses.asdict(model.config), "model": model.state_dict()}, buffer)
    return replace_stored_file(name, buffer.getvalue())


def model_load(*, name: str, map_location: str | torch.device = "cpu") -> PoseModel:
    state = load_checkpoint(io.BytesIO(_read_stored_file(name)), map_location=map_location)
    model = PoseModel(PoseConfig(**state["config"]))
    model.load_state_dict(state["model"])
    return model.eval()


@lru_cache(maxsize=4)
def _cached(name: str) -> PoseModel:
    return model_load(name=name).to(worker_device())


def cached_model(name: str) -> PoseModel:
    """A loaded model kept in this process, so repeated scoring and predictions skip the load."""
    with _cache_lock:
        return _cached(name)


def model_name_for(*, project_id: int, version_id: int) -> str:
    return f"models/project-{project_id}/model-{version_id}.pt"


def checkpoint_storage_name(cycle_id: int) -> str:
    return f"checkpoints/cycle-{cycle_id}/train.pt"


def local_checkpoint_path(cycle_id: int) -> Path:
    """Where training writes its checkpoint on this machine before it is copied to storage."""
    return Path(settings.ML_WORK_DIR) / f"cycle-{cycle_id}" / "train.pt"


def checkpoint_upload(*, cycle_id: int) -> None:
    """Copy this machine's latest checkpoint to storage, replacing the previous one."""
    replace_stored_file(checkpoint_storage_name(cycle_id), local_checkpoint_path(cycle_id).read_bytes())


def checkpoint_download(*, cycle_id: int) -> Path | None:
    """Fetch the cycle's checkpoint from storage to this machine, if training had saved one."""
    name = checkpoint_storage_name(cycle_id)
    if not default_storage.exists(name):
        return None
    path = local_checkpoint_path(cycle_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".download")
    temporary.write_bytes(_read_stored_file(name))
    temporary.replace(path)
    return path


def checkpoint_delete(*, cycle_id: int) -> None:
    _delete_stored_file(checkpoint_storage_name(cycle_id))
    local_checkpoint_path(cycle_id).unlink(missing_ok=True)


def _pool_features_prefix(cycle_id: int) -> str:
    return f"cycles/cycle-{cycle_id}/pool-features/"


def pool_features_save(*, cycle_id: int, image_ids: list[int], features: np.ndarray) -> None:
    """Keep one scored chunk's features [N,D]; coreset selection reads every chunk back."""
    buffer = io.BytesIO()
    np.savez(buffer, image_ids=np.asarray(image_ids, dtype=np.int64), features=features.astype(np.float32))
    replace_stored_file(f"{_pool_features_prefix(cycle_id)}{image_ids[0]}.npz", buffer.getvalue())


def pool_features_load(*, cycle_id: int) -> dict[int, np.ndarray]:
    """Image id -> pooled feature [D], from every stored chunk of the cycle."""
    prefix = _pool_features_prefix(cycle_id)
    try:
        _, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return {}
    features: dict[int, np.ndarray] = {}
    for name in files:
        if name.startswith("."):
            continue  # a replacement still being written
        chunk = np.load(io.BytesIO(_read_stored_file(prefix + name)))
        features.update(zip(chunk["image_ids"].tolist(), chunk["features"], strict=True))
    return features


def _labelled_features_name(cycle_id: int) -> str:
    return f"cycles/cycle-{cycle_id}/labelled-features.npy"


def labelled_features_save(*, cycle_id: int, features: np.ndarray) -> None:
    """Keep the labelled images' features [M,D]: coreset selection measures distances from them."""
    buffer = io.BytesIO()
    np.save(buffer, features.astype(np.float32))
    replace_stored_file(_labelled_features_name(cycle_id), buffer.getvalue())


def labelled_features_load(*, cycle_id: int) -> np.ndarray | None:
    name = _labelled_features_name(cycle_id)
    if not default_storage.exists(name):
        return None
    return np.load(io.BytesIO(_read_stored_file(name)))
