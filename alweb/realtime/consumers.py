"""The project websocket: members hear their project's live events, read-only."""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from alweb.projects.access import is_member
from alweb.realtime.events import project_group, user_group

logger = logging.getLogger(__name__)

# Application close codes the browser can act on: sign in again, or stop retrying.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Ids above a bigint make the database raise; no project has one.
MAX_PROJECT_ID = 2**63 - 1


class ProjectConsumer(AsyncWebsocketConsumer):
    """Forward a project's events to one member's socket; answer pings, ignore the rest."""

    group = None
    project_id = None
    own_group = None

    async def connect(self):
        # Accept before closing so that the browser sees the close code (a refused
        # handshake reaches it as a bare 1006). Outsiders and unknown projects get the same
        # code, so the socket never reveals whether a project exists.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        project_id = self.scope["url_route"]["kwargs"]["project_id"]
        if project_id > MAX_PROJECT_ID:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # The user's own group carries word that they were removed from the project. Joined
        # before membership is checked, so that a removal committed after the check still arrives.
        self.project_id = project_id
        self.own_group = user_group(user.pk)
        await self.channel_layer.group_add(self.own_group, self.channel_name)
        if not await database_sync_to_async(is_member)(user=user, project_id=project_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join before saying hello: every event published after the hello reaches this socket.
        self.group = project_group(project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send(text_data=json.dumps({"type": "hello", "project": project_id}))

    async def disconnect(self, code):
        for group in (self.group, self.own_group):
            if group is None:
                continue
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                # Redis is gone; the group entry expires on its own.
                logger.warning("Could not leave %s.", group, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        if self.group is not None and _is_ping(text_data):
            await self.send(text_data=json.dumps({"type": "pong"}))

    async def project_event(self, message):
        await self.send(text_data=message["text"])

    async def membership_revoked(self, message):
        """The user was removed from a project: stop hearing it at once (sockets on other projects stay)."""
        if message.get("project") != self.project_id:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = None
        await self.close(code=CLOSE_FORBIDDEN)


def _is_ping(text_data: str | None) -> bool:
    try:
        content = json.loads(text_data or "")
    except ValueError:
        return False
    return isinstance(content, dict) and content.get("type") == "ping"
