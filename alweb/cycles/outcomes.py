"""Did the ranking find the failures? The realized loss of each labelled selection, per cycle."""
import logging

import numpy as np
from django.db import transaction

from alweb.cycles import model_store
from alweb.cycles.evaluation import evaluate
from alweb.cycles.events import publish_cycle_state
from alweb.cycles.labelled_data import labelled_set, project_skeleton
from alweb.cycles.models import Cycle, ModelVersion
from alweb.images.models import Image
from ml.metrics import kendall, spearman

logger = logging.getLogger(__name__)


def dispatch_outcome(entry_id: int) -> None:
    """After the label commits, measure the selection's realized loss on a worker."""
    from alweb.cycles.tasks import record_label_outcome

    def send():
        try:
            record_label_outcome.apply_async(args=[entry_id], queue="default")
        except Exception:
            logger.exception("could not dispatch the outcome of queue entry %s", entry_id)

    transaction.on_commit(send)


def label_outcome_record(*, entry_id: int) -> None:
    """Compare the cycle's model with the human label of one selected image; update the cycle's metrics."""
    from alweb.queue.models import QueueEntry

    entry = QueueEntry.objects.select_related("cycle__project").filter(pk=entry_id, state="done").first()
    version = ModelVersion.objects.filter(cycle_id=entry.cycle_id).first() if entry else None
    if entry is None or version is None or not version.checkpoint:
        return
    images = Image.objects.filter(pk=entry.image_id, annotation__isnull=False).select_related("annotation")
    if not images.exists():
        return
    project = entry.cycle.project
    model = model_store.cached_model(version.checkpoint.name)
    skeleton = project_skeleton(project)
    result = evaluate(model, labelled_set(images, num_keypoints=skeleton.num_keypoints), skeleton=skeleton,
                      device=model_store.device())
    pck = float(result.pck[0])
    QueueEntry.objects.filter(pk=entry.pk).update(
        realized_loss=float(result.true_loss[0]), pck=None if np.isnan(pck) else pck
    )
    cycle_metrics_update(cycle_id=entry.cycle_id)


@transaction.atomic
def cycle_metrics_update(*, cycle_id: int) -> None:
    """Recompute PCK of the selected images and predicted-vs-realized loss correlations."""
    from alweb.queue.models import QueueEntry

    cycle = Cycle.objects.select_for_update().get(pk=cycle_id)
    rows = list(
        QueueEntry.objects.filter(cycle_id=cycle_id, realized_loss__isnull=False).values_list(
            "predicted_loss", "realized_loss", "pck"
        )
    )
    predicted = np.array([r[0] for r in rows], dtype=np.float64)
    realized = np.array([r[1] for r in rows], dtype=np.float64)
    pcks = np.array([r[2] for r in rows if r[2] is not None], dtype=np.float64)
    metrics = {
        **cycle.metrics,
        "labelled": len(rows),
        "pck_selected": _finite(np.mean(pcks)) if len(pcks) else None,
        "spearman": _finite(spearman(predicted, realized)),
        "kendall": _finite(kendall(predicted, realized)),
    }
    cycle.metrics = metrics
    cycle.save(update_fields=["metrics"])
    publish_cycle_state(cycle)


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
