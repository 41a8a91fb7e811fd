"""Enqueue the loop's Celery tasks by name, always after the surrounding transaction commits.

Producers (services, the pipeline, the annotations app) call these functions and never import
tasks.py, so nothing that writes imports the code that consumes its work. Which queue a task
goes to is decided by CELERY_TASK_ROUTES in settings, never here. A send that fails (the broker
restarting) is logged, not raised: the periodic recovery finds the stalled work and sends it again.
"""

import logging

from django.db import transaction

from alweb.celery import app

logger = logging.getLogger(__name__)

# Each name is the registered name of a task in alweb/cycles/tasks.py, after the function it runs.
CYCLE_TRAIN = "cycles.cycle_train"
CYCLE_SCORE_CHUNK = "cycles.cycle_score_chunk"
CYCLES_RECOVER = "cycles.cycles_recover"
LABEL_OUTCOME_RECORD = "cycles.label_outcome_record"


def enqueue_cycle_train(cycle_id: int) -> None:
    _enqueue_on_commit(f"training of cycle {cycle_id}", [(CYCLE_TRAIN, [cycle_id])])


def enqueue_cycle_score_chunks(*, cycle_id: int, model_version_id: int, chunks: list[list[int]]) -> None:
    """One task per chunk, so that any number of workers score the pool in parallel."""
    messages = [(CYCLE_SCORE_CHUNK, [cycle_id, model_version_id, chunk]) for chunk in chunks]
    _enqueue_on_commit(f"scoring of cycle {cycle_id}", messages)


def enqueue_label_outcome_record(entry_id: int) -> None:
    _enqueue_on_commit(f"the outcome of queue entry {entry_id}", [(LABEL_OUTCOME_RECORD, [entry_id])])


def _enqueue_on_commit(what: str, messages: list[tuple[str, list]]) -> None:
    def send() -> None:
        try:
            for name, args in messages:
                app.send_task(name, args=args)
        except Exception:
            logger.exception("could not dispatch %s", what)

    # Outside a transaction on_commit runs at once; inside one, a rollback drops the messages.
    transaction.on_commit(send)
