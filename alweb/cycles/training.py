"""The training phase of a cycle: fit the pose network and its loss head on the labelled images."""
import io
import logging
import threading
import time

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from alweb.cycles import model_store
from alweb.cycles.evaluation import evaluate
from alweb.cycles.events import publish_cycle_progress
from alweb.cycles.labelled_data import keypoint_dataset, labelled_set, project_skeleton
from alweb.cycles.models import Cycle, ModelVersion
from alweb.cycles.selectors import active_model_version, training_images, validation_images
from alweb.cycles.services import cycle_heartbeat, cycle_progress_save
from alweb.cycles.strategies import STRATEGY_CHOICES
from ml.models import create_model
from ml.train import Progress, TrainConfig, fit

logger = logging.getLogger(__name__)


class CycleInterrupted(Exception):
    """The cycle was cancelled or another worker took it over: stop without writing anything."""


class LeaseKeeper:
    """Renew the worker's lease on a thread while training runs; note when it is lost."""

    def __init__(self, *, cycle_id: int, worker: str):
        self.cycle_id, self.worker = cycle_id, worker
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-cycle-{cycle_id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from django.db import close_old_connections

        while not self._stop.wait(settings.CYCLE_HEARTBEAT_SECONDS):
            try:
                if not cycle_heartbeat(cycle_id=self.cycle_id, worker=self.worker):
                    self.lost.set()
                    return
            except Exception:
                # A database hiccup is not a lost lease; the next beat tries again.
                logger.exception("heartbeat of cycle %s failed", self.cycle_id)
            finally:
                close_old_connections()

    def check(self) -> None:
        if self.lost.is_set():
            raise CycleInterrupted(f"cycle {self.cycle_id} was cancelled or taken over")


class ProgressReporter:
    """Save training progress to the cycle and push it live, at most once a second."""

    def __init__(self, *, cycle: Cycle, lease: LeaseKeeper):
        self.cycle, self.lease = cycle, lease
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        self.lease.check()
        if progress.epoch_end:
            model_store.checkpoint_upload(cycle_id=self.cycle.id)
        now = time.monotonic()
        if now - self._last < 1.0 and not progress.epoch_end:
            return
        self._last = now
        payload = {
            "phase": "training", "epoch": progress.epoch, "epochs": progress.epochs, "step": progress.step,
            "steps": progress.steps, "eta_s": round(progress.eta_s, 1),
            "losses": {name: round(value, 5) for name, value in progress.losses.items()},
        }
        cycle_progress_save(cycle_id=self.cycle.id, progress=payload)
        publish_cycle_progress(project_id=self.cycle.project_id, cycle_id=self.cycle.id, progress=payload)


def train_cycle_model(*, cycle: Cycle, worker: str) -> ModelVersion:
    """Train (or resume training) the cycle's model and store it as a new, inactive ModelVersion."""
    project = cycle.project
    skeleton = project_skeleton(project)
    choice = STRATEGY_CHOICES[cycle.strategy]
    model = create_model(cycle.model_name, num_keypoints=skeleton.num_keypoints, head=choice.head)
    data = labelled_set(training_images(project=project), num_keypoints=skeleton.num_keypoints)
    dataset = keypoint_dataset(data, skeleton=skeleton, input_size=model.config.input_size, train=True)
    config = TrainConfig(
        epochs=cycle.epochs, batch_size=min(settings.TRAIN_BATCH_SIZE, len(dataset)), objective=choice.objective,
        seed=cycle.id, progress_every=1,
    )
    device = model_store.device()
    checkpoint = model_store.checkpoint_download(cycle_id=cycle.id) or model_store.local_checkpoint_path(cycle.id)
    with LeaseKeeper(cycle_id=cycle.id, worker=worker) as lease:
        result = fit(model, dataset, config=config, device=device, checkpoint_path=checkpoint,
                     warm_start=_warm_start(cycle, model), progress=ProgressReporter(cycle=cycle, lease=lease))
        lease.check()
        train_eval = evaluate(model, data, skeleton=skeleton, device=device)
        val_data = labelled_set(validation_images(project=project), num_keypoints=skeleton.num_keypoints)
        val_pck = float(np.nanmean(evaluate(model, val_data, skeleton=skeleton, device=device).pck)) \
            if val_data.image_ids else None
        lease.check()
    version = ModelVersion.objects.create(
        project=project, cycle=cycle, model_name=cycle.model_name,
        metrics={
            "val_pck": val_pck, "epochs": result.epochs, "resumed_at_epoch": result.start_epoch,
            "train_seconds": round(result.seconds, 1),
            "history": result.history, "train_losses": [round(float(v), 6) for v in train_eval.true_loss],
        },
    )
    version.checkpoint.name = model_store.model_save(model=model, name=f"models/project-{project.id}/model-{version.id}.pt")
    version.save(update_fields=["checkpoint"])
    _store_labelled_features(cycle_id=cycle.id, features=train_eval.features)
    model_store.checkpoint_delete(cycle_id=cycle.id)
    return version


def _warm_start(cycle: Cycle, model):
    """The active model's weights when it has the same architecture: later cycles start from it."""
    active = active_model_version(project=cycle.project)
    if active is None or not active.checkpoint:
        return None
    previous = model_store.model_load(name=active.checkpoint.name)
    if previous.config != model.config:
        return None
    return previous.state_dict()


def labelled_features_name(cycle_id: int) -> str:
    return f"cycles/cycle-{cycle_id}/labelled-features.npy"


def _store_labelled_features(*, cycle_id: int, features: np.ndarray) -> None:
    """Keep the labelled images' features: coreset selection measures distances from them."""
    buffer = io.BytesIO()
    np.save(buffer, features.astype(np.float32))
    name = labelled_features_name(cycle_id)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(buffer.getvalue()))


def labelled_features_load(cycle_id: int) -> np.ndarray | None:
    name = labelled_features_name(cycle_id)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as stored:
        return np.load(io.BytesIO(stored.read()))
