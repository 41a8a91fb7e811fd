"""Models and training checkpoints, kept in Django's storage so every worker machine sees them."""
import dataclasses
import io
import threading
from functools import lru_cache
from pathlib import Path

import torch
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.models import PoseModel
from ml.models.pose import PoseConfig

_cache_lock = threading.Lock()


def device() -> torch.device:
    """The device this worker trains and scores on: the GPU when there is one."""
    wanted = settings.ML_DEVICE
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(wanted)


def model_save(*, model: PoseModel, name: str) -> str:
    """Write the model's weights and configuration to storage; returns the stored name."""
    buffer = io.BytesIO()
    save_checkpoint({"config": dataclasses.asdict(model.config), "model": model.state_dict()}, buffer)
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(buffer.getvalue()))


def model_load(*, name: str, map_location: str | torch.device = "cpu") -> PoseModel:
    with default_storage.open(name, "rb") as stored:
        state = load_checkpoint(io.BytesIO(stored.read()), map_location=map_location)
    model = PoseModel(PoseConfig(**state["config"]))
    model.load_state_dict(state["model"])
    return model.eval()


@lru_cache(maxsize=4)
def _cached(name: str) -> PoseModel:
    return model_load(name=name).to(device())


def cached_model(name: str) -> PoseModel:
    """A loaded model kept in this process, so repeated scoring and predictions skip the load."""
    with _cache_lock:
        return _cached(name)


def checkpoint_storage_name(cycle_id: int) -> str:
    return f"checkpoints/cycle-{cycle_id}/train.pt"


def local_checkpoint_path(cycle_id: int) -> Path:
    """Where training writes its checkpoint on this machine before it is copied to storage."""
    return Path(settings.ML_WORK_DIR) / f"cycle-{cycle_id}" / "train.pt"


def checkpoint_upload(*, cycle_id: int) -> None:
    """Copy this machine's latest checkpoint to storage, replacing the previous one."""
    name = checkpoint_storage_name(cycle_id)
    data = local_checkpoint_path(cycle_id).read_bytes()
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(data))


def checkpoint_download(*, cycle_id: int) -> Path | None:
    """Fetch the cycle's checkpoint from storage to this machine, if training had saved one."""
    name = checkpoint_storage_name(cycle_id)
    if not default_storage.exists(name):
        return None
    path = local_checkpoint_path(cycle_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with default_storage.open(name, "rb") as stored:
        tmp = path.with_suffix(".download")
        tmp.write_bytes(stored.read())
    tmp.replace(path)
    return path


def checkpoint_delete(*, cycle_id: int) -> None:
    name = checkpoint_storage_name(cycle_id)
    if default_storage.exists(name):
        default_storage.delete(name)
    local_checkpoint_path(cycle_id).unlink(missing_ok=True)
