"""The selecting phase's work: rank the scored pool the cycle's strategy's way into queue entries.

Besides the strategy's picks, a cycle mixes an audit sample into its queue: images drawn at
random from the rest of the pool, at random places in the queue and unmarked to annotators, so
that they are labelled like the rest. Their PCK is the honest baseline the picks are measured
against: without it, a low PCK of the picks could just mean a weak model.

It reads and computes; the pipeline hands the entries to the service that fills the queue.
"""

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Value
from django.db.models.functions import Cast, Coalesce

from alweb.cycles import artefacts
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.selectors import unlabelled_pool
from alweb.errors import InvalidInput
from ml.strategies import select, strategy_spec

# Score rows read per round trip: the pool's cursor chunk and the queued images' id batch.
POOL_CHUNK = 10_000
POOL_DTYPE = np.dtype([("image_id", np.int64), ("predicted_loss", np.float64), ("entropy", np.float64)])


def audit_size(*, budget: int, fraction: float) -> int:
    """How many random pool images go with a selection of `budget`: at least one when enabled."""
    return max(1, round(budget * fraction)) if fraction > 0 else 0


def selection_entries(*, cycle: Cycle, version: ModelVersion) -> list[dict]:
    """The cycle's queue: image_id, rank (1 first), predicted_loss, keypoints [[x, y, c]], instances, top_percent,
    is_audit.

    The strategy ranks the whole pool from three columns streamed into arrays; the stored
    predictions (keypoints, instances) are read only for the images that go into the queue, so
    a million-image pool costs tens of megabytes, not a dict per image.
    """
    pool = _scored_pool(version=version, project=cycle.project)
    coreset_pool_check(strategy=cycle.strategy, pool_size=len(pool))
    picked = _ranked(cycle, pool)
    audit = _audit_sample(cycle, pool_size=len(pool), picked=picked)
    order = _interleaved(picked, audit, seed=cycle.id)
    top_percent = _top_percent(pool["predicted_loss"], order)
    audited = set(audit.tolist())
    image_ids = pool["image_id"][order].tolist()
    queued = _queued_scores(version=version, image_ids=image_ids)
    return [
        {
            "image_id": image_id,
            "rank": rank,
            "predicted_loss": queued[image_id]["predicted_loss"],
            "keypoints": _with_confidence(queued[image_id]),
            "instances": queued[image_id]["instances"] or [_whole_image_instance(queued[image_id])],
            "top_percent": round(float(standing), 2),
            "is_audit": i in audited,
        }
        for rank, (i, image_id, standing) in enumerate(zip(order.tolist(), image_ids, top_percent), start=1)
    ]


def coreset_pool_check(*, strategy: str, pool_size: int) -> None:
    """InvalidInput when core-set selection would run over more than CYCLE_CORESET_MAX_POOL pool images.

    Core-set selection holds every pool image's features in memory and costs one pass over
    them per pick; above the cap it would hold a worker for minutes, so it is refused.
    """
    cap = settings.CYCLE_CORESET_MAX_POOL
    if strategy_spec(strategy).selector == "coreset" and pool_size > cap:
        raise InvalidInput(
            {
                "strategy": f"Core-set selection is limited to {cap:,} unlabelled pool images "
                f"(CYCLE_CORESET_MAX_POOL); this project has {pool_size:,}. "
                "Choose LL++ or another strategy that ranks by score."
            }
        )


def _scored_pool(*, version: ModelVersion, project) -> np.ndarray:
    """The scored unlabelled pool by image id: a structured array of image_id, predicted_loss and entropy.

    A missing entropy reads as 0, as the entropy strategy ranks it.
    """
    rows = Score.objects.filter(model_version=version, image__in=unlabelled_pool(project=project)).values_list(
        Cast("image_id", BigIntegerField()), "predicted_loss", Coalesce("entropy", Value(0.0))
    )
    if connection.vendor != "postgresql":
        return np.fromiter(rows.order_by("image_id").iterator(chunk_size=POOL_CHUNK), dtype=POOL_DTYPE)
    columns = _aggregated_columns(rows)
    pool = np.empty(len(columns[0]), dtype=POOL_DTYPE)
    by_image = np.argsort(columns[0])
    for name, column in zip(POOL_DTYPE.names, columns, strict=True):
        pool[name] = column[by_image]
    return pool


def _aggregated_columns(rows) -> list[np.ndarray]:
    """PostgreSQL's rows of three 8-byte columns as three arrays, in no particular order.

    Each column comes back as one array in PostgreSQL's binary form (array_send), which numpy
    reads as it is: a Python tuple per row cost a million-image pool most of its selection time.
    """
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_send(array_agg(pool.c1)), array_send(array_agg(pool.c2)), array_send(array_agg(pool.c3)) "
            f"FROM ({sql}) AS pool (c1, c2, c3)",
            params,
        )
        sent = cursor.fetchone()
    if sent[0] is None:  # array_agg over no rows
        return [np.zeros(0, dtype=POOL_DTYPE[name]) for name in POOL_DTYPE.names]
    return [
        _received_array(bytes(data), dtype=POOL_DTYPE[name]) for data, name in zip(sent, POOL_DTYPE.names, strict=True)
    ]


def _received_array(data: bytes, *, dtype: np.dtype) -> np.ndarray:
    """A one-dimensional array without NULLs of 8-byte values in array_send's form, as a numpy array.

    The form: dimensions, a has-NULLs flag and the element type (three int32), each dimension's
    length and lower bound (two int32), then each element as an int32 length and its bytes, big-endian.
    """
    dimensions, has_nulls, _, length, _ = np.frombuffer(data, dtype=">i4", count=5).tolist()
    elements = np.frombuffer(data, dtype=[("size", ">i4"), ("value", dtype.newbyteorder(">"))], offset=20)
    if dimensions != 1 or has_nulls or len(elements) != length or not (elements["size"] == 8).all():
        raise ValueError("The scored pool's columns are not one-dimensional arrays of 8-byte values.")
    return elements["value"].astype(dtype)


def _queued_scores(*, version: ModelVersion, image_ids: list[int]) -> dict[int, dict]:
    """The stored predictions of the images that go into the queue, by image id."""
    scores = {}
    for start in range(0, len(image_ids), POOL_CHUNK):
        rows = Score.objects.filter(model_version=version, image_id__in=image_ids[start : start + POOL_CHUNK]).values(
            "image_id",
            "predicted_loss",
            "keypoints",
            "confidence",
            "instances",
            "image__width",
            "image__height",
        )
        scores.update((row["image_id"], row) for row in rows)
    return scores


def _with_confidence(score: dict) -> list[list[float]]:
    return [[x, y, c] for (x, y), c in zip(score["keypoints"], score["confidence"], strict=True)]


def _whole_image_instance(score: dict) -> dict:
    """The one instance of an image scored whole."""
    return {
        "bbox": [0.0, 0.0, float(score["image__width"]), float(score["image__height"])],
        "keypoints": _with_confidence(score),
        "predicted_loss": score["predicted_loss"],
    }


def _ranked(cycle: Cycle, pool: np.ndarray) -> np.ndarray:
    """Pool positions in selection order, the strategy's way."""
    if not len(pool):
        return np.zeros(0, dtype=np.int64)
    selector = strategy_spec(cycle.strategy).selector
    inputs = {"predicted_loss": pool["predicted_loss"], "heatmap_entropy": pool["entropy"]}
    if selector == "coreset":
        by_image = artefacts.pool_features_load(cycle_id=cycle.id)
        inputs["features"] = np.stack([by_image[image_id] for image_id in pool["image_id"].tolist()])
        inputs["labelled_features"] = artefacts.labelled_features_load(cycle_id=cycle.id)
    return select(selector, budget=cycle.budget, seed=cycle.id, **inputs)


def _audit_sample(cycle: Cycle, *, pool_size: int, picked: np.ndarray) -> np.ndarray:
    """Pool positions drawn uniformly from the images the strategy did not pick."""
    rest = np.setdiff1d(np.arange(pool_size), picked)
    size = min(audit_size(budget=cycle.budget, fraction=cycle.audit_fraction), len(rest))
    # Its own stream, so that the audit never depends on (or disturbs) the strategy's randomness.
    return np.random.default_rng([cycle.id, 1]).choice(rest, size=size, replace=False)


def _interleaved(picked: np.ndarray, audit: np.ndarray, *, seed: int) -> np.ndarray:
    """The picks in their order, with the audit images at random places among them."""
    total = len(picked) + len(audit)
    slots = np.random.default_rng([seed, 2]).choice(total, size=len(audit), replace=False)
    order = np.empty(total, dtype=np.int64)
    is_audit_slot = np.zeros(total, dtype=bool)
    is_audit_slot[slots] = True
    order[is_audit_slot] = audit
    order[~is_audit_slot] = picked
    return order


def _top_percent(losses: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For the images at `positions`, the share of the pool (in %) whose predicted loss is at least their own."""
    if not len(positions):
        return np.zeros(0, dtype=np.float64)
    at_least = len(losses) - np.searchsorted(np.sort(losses), losses[positions], side="left")
    return 100.0 * at_least / len(losses)
