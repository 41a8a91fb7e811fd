"""Publish live events to a project's websocket group.

Events are best-effort hints that something changed; the REST API stays the source of
truth. A client that misses one (Redis restarting, socket reconnecting) re-reads the API.

Event names and their data, as the browser receives them (always with "type" and
"project" added):

- "cycle.state": cycle, index, state, error
- "cycle.progress": cycle, progress {phase, epoch, epochs, step, steps, eta_s, losses}
- "queue.changed": open, leased, done
"""

import asyncio
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

# A hung Redis must not hold the request or worker that published the event for long.
SEND_TIMEOUT_S = 2.0
RESERVED_KEYS = frozenset({"type", "project"})


def project_group(project_id: int) -> str:
    """Name of the channel-layer group that a project's websockets join."""
    return f"project.{project_id}"


def user_group(user_id: int) -> str:
    """Name of the channel-layer group that each of a user's websockets joins, whatever its project."""
    return f"user.{user_id}"


def publish_membership_revoked(*, project_id: int, user_id: int) -> None:
    """After commit, close the user's open sockets on the project: they no longer belong to it."""
    message = {"type": "membership.revoked", "project": project_id}

    def send():
        try:
            async_to_sync(_send_to_group)(user_group(user_id), message)
        except Exception:
            logger.warning("Could not close user %s's sockets on project %s.", user_id, project_id, exc_info=True)

    transaction.on_commit(send)


def publish_project_event(*, project_id: int, event: str, data: dict) -> None:
    """Send {"type": event, "project": project_id, **data} to the project's sockets after commit.

    Inside a transaction the event waits for the commit and is dropped on rollback, so
    clients never hear about a write that did not happen; outside one (a worker's
    progress callback) it is sent at once. Call it from sync code only. Channel-layer
    failures are logged, never raised: a lost event must not undo the write behind it.
    """
    text = _encode(project_id=project_id, event=event, data=data)
    transaction.on_commit(lambda: _send(project_id=project_id, event=event, text=text))


def _encode(*, project_id: int, event: str, data: dict) -> str:
    # Encoded now, not at commit, so that a payload that cannot be sent fails in the caller's tests.
    clashing = RESERVED_KEYS & data.keys()
    if clashing:
        raise ValueError(f"Event data may not set {sorted(clashing)}.")
    return json.dumps({"type": event, "project": project_id, **data}, cls=DjangoJSONEncoder)


def _send(*, project_id: int, event: str, text: str) -> None:
    try:
        async_to_sync(_group_send)(project_group(project_id), text)
    except Exception:
        logger.warning("Live event %s for project %s was not sent.", event, project_id, exc_info=True)


async def _group_send(group: str, text: str) -> None:
    # One envelope type for every event: the consumer forwards the text as it is, and an
    # event name can never select another handler on the consumer.
    await _send_to_group(group, {"type": "project.event", "text": text})


async def _send_to_group(group: str, message: dict) -> None:
    await asyncio.wait_for(get_channel_layer().group_send(group, message), timeout=SEND_TIMEOUT_S)
