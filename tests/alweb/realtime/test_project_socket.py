"""The project websocket through the whole ASGI stack, on a real Redis channel layer."""

import json
import logging
import socket

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator

from tests.alweb.realtime.conftest import layer_settings

# The consumer reads memberships on another thread, and events wait for real commits.
pytestmark = [pytest.mark.usefixtures("channel_layer"), pytest.mark.django_db(transaction=True)]

TIMEOUT_S = 2
ORIGIN = b"http://testserver"


def session_cookie(user) -> bytes:
    """The Cookie header of a browser signed in as user."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    assert client.login(username=user.username, password="pw-for-tests")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


class BrowserSocket(ApplicationCommunicator):
    """A browser's websocket to the ASGI application.

    channels.testing.WebsocketCommunicator does the same, but importing channels.testing
    needs daphne, which this project does not install.
    """

    def __init__(self, path: str, headers: list):
        from alweb.asgi import application

        scope = {"type": "websocket", "path": path, "query_string": b"", "headers": headers, "subprotocols": []}
        super().__init__(application, scope)

    async def connect(self) -> bool:
        """Open the socket; whether the server accepted the handshake."""
        await self.send_input({"type": "websocket.connect"})
        return (await self.receive_output(TIMEOUT_S))["type"] == "websocket.accept"

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def send_json(self, content) -> None:
        await self.send_text(json.dumps(content))

    async def receive_json(self):
        message = await self.receive_output(TIMEOUT_S)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def close(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(TIMEOUT_S)


def browser_socket(project_id: int, *, user=None, origin: bytes | None = ORIGIN) -> BrowserSocket:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        headers.append((b"cookie", session_cookie(user)))
    return BrowserSocket(f"/ws/projects/{project_id}/", headers)


async def connect_member(ws: BrowserSocket, project_id: int) -> None:
    """Open a member's socket and read its hello."""
    assert await ws.connect()
    assert await ws.receive_json() == {"type": "hello", "project": project_id}


def publish(project_id: int, **data) -> None:
    from alweb.realtime.events import publish_project_event

    publish_project_event(project_id=project_id, event="queue.changed", data=data)


def publish_committed(project_id: int, **data) -> None:
    from django.db import transaction

    with transaction.atomic():
        publish(project_id, **data)


def publish_rolled_back(project_id: int, **data) -> None:
    from django.db import transaction

    with transaction.atomic():
        publish(project_id, **data)
        transaction.set_rollback(True)


@pytest.mark.parametrize("member", ["admin_user", "annotator_user"])
def test_member_hears_hello_pong_and_committed_events(request, project, member):
    user = request.getfixturevalue(member)

    ws = browser_socket(project.id, user=user)

    async def scenario():
        await connect_member(ws, project.id)
        await ws.send_json({"type": "ping"})
        assert await ws.receive_json() == {"type": "pong"}
        await sync_to_async(publish_committed)(project.id, open=3, leased=1, done=2)
        event = await ws.receive_json()
        assert event == {"type": "queue.changed", "project": project.id, "open": 3, "leased": 1, "done": 2}
        await ws.close()

    async_to_sync(scenario)()


def test_rolled_back_event_never_arrives_and_one_outside_a_transaction_comes_at_once(project, annotator_user):
    ws = browser_socket(project.id, user=annotator_user)

    async def scenario():
        await connect_member(ws, project.id)
        await sync_to_async(publish_rolled_back)(project.id, open=99, leased=0, done=0)
        await sync_to_async(publish)(project.id, open=1, leased=0, done=0)
        # Events from one publisher arrive in order: the first one to arrive is the second sent.
        assert (await ws.receive_json())["open"] == 1
        assert await ws.receive_nothing(timeout=0.2)
        await ws.close()

    async_to_sync(scenario)()


def test_events_of_another_project_do_not_arrive(project, annotator_user, outsider_user):
    from alweb.projects.services import project_create

    other = project_create(user=outsider_user, name="Climbers", preset="lsp14")

    ws = browser_socket(project.id, user=annotator_user)

    async def scenario():
        await connect_member(ws, project.id)
        await sync_to_async(publish)(other.id, open=99, leased=0, done=0)
        await sync_to_async(publish)(project.id, open=1, leased=0, done=0)
        assert await ws.receive_json() == {
            "type": "queue.changed",
            "project": project.id,
            "open": 1,
            "leased": 0,
            "done": 0,
        }
        await ws.close()

    async_to_sync(scenario)()


def test_client_messages_other_than_ping_are_ignored(project, admin_user):
    ws = browser_socket(project.id, user=admin_user)

    async def scenario():
        await connect_member(ws, project.id)
        for text in ["not json", "[1, 2]", '{"type": "cycle.state", "state": "done"}', '{"type": "project.event"}']:
            await ws.send_text(text)
        await ws.send_input({"type": "websocket.receive", "bytes": b"\x00\x01"})
        assert await ws.receive_nothing(timeout=0.2)
        await ws.send_json({"type": "ping"})
        assert await ws.receive_json() == {"type": "pong"}
        await ws.close()

    async_to_sync(scenario)()


def closed_with(project_id: int, *, user=None) -> int:
    """The close code a socket gets right after it is accepted; fails if it is greeted instead."""

    ws = browser_socket(project_id, user=user)

    async def scenario():
        assert await ws.connect()
        message = await ws.receive_output(timeout=TIMEOUT_S)
        assert message["type"] == "websocket.close", message
        await ws.close()
        return message["code"]

    return async_to_sync(scenario)()


def test_anonymous_is_refused_with_4401(project):
    assert closed_with(project.id) == 4401


def test_outsider_and_unknown_projects_get_the_same_4403(project, outsider_user, admin_user):
    assert closed_with(project.id, user=outsider_user) == 4403
    assert closed_with(project.id + 1000, user=admin_user) == 4403
    assert closed_with(10**30, user=admin_user) == 4403


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null", None])
def test_foreign_or_missing_origin_is_refused_before_the_handshake(project, admin_user, origin):
    ws = browser_socket(project.id, user=admin_user, origin=origin)

    async def scenario():
        assert not await ws.connect()

    async_to_sync(scenario)()


def test_a_dead_channel_layer_never_breaks_the_write(settings, tmp_path, project, caplog):
    from django.db import transaction

    from alweb.projects.models import Project

    settings.CHANNEL_LAYERS = layer_settings(f"unix://{tmp_path / 'no-redis.sock'}")
    with caplog.at_level(logging.WARNING, logger="alweb.realtime.events"), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(name="Renamed")
        publish(project.id, open=1, leased=0, done=0)
    assert Project.objects.get(pk=project.pk).name == "Renamed"
    assert "queue.changed" in caplog.text


def test_a_hung_channel_layer_holds_the_write_only_briefly(settings, tmp_path, monkeypatch, project, caplog):
    import time

    from alweb.realtime import events

    # A socket that accepts connections and never answers, like a frozen Redis.
    path = tmp_path / "hung.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    settings.CHANNEL_LAYERS = layer_settings(f"unix://{path}")
    monkeypatch.setattr(events, "SEND_TIMEOUT_S", 0.2)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="alweb.realtime.events"):
        publish_committed(project.id, open=1, leased=0, done=0)
    listener.close()
    assert time.monotonic() - started < 1.5
    assert "queue.changed" in caplog.text


def test_data_may_not_overwrite_type_or_project():
    from alweb.realtime.events import publish_project_event

    with pytest.raises(ValueError):
        publish_project_event(project_id=1, event="queue.changed", data={"project": 2})


def test_payload_is_json_with_dates_as_iso_strings(project, admin_user):
    import datetime

    ws = browser_socket(project.id, user=admin_user)

    async def scenario():
        await connect_member(ws, project.id)
        at = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        await sync_to_async(publish_committed)(project.id, at=at)
        assert (await ws.receive_json())["at"] == "2025-01-02T03:04:05Z"
        await ws.close()

    async_to_sync(scenario)()


def test_removing_a_member_closes_their_open_sockets_and_only_theirs(project, annotator_user, admin_user):
    from alweb.projects.services import membership_set, project_create

    other = project_create(user=admin_user, name="Climbers", preset="lsp14")
    membership_set(project=other, username=annotator_user.username, role="annotator")
    removed = browser_socket(project.id, user=annotator_user)
    elsewhere = browser_socket(other.id, user=annotator_user)
    staying = browser_socket(project.id, user=admin_user)

    def remove_over_http() -> int:
        from tests.conftest import token_client

        return token_client(admin_user).delete(f"/api/v1/projects/{project.id}/members/ann/").status_code

    async def scenario():
        for ws, project_id in ((removed, project.id), (elsewhere, other.id), (staying, project.id)):
            await connect_member(ws, project_id)
        assert await sync_to_async(remove_over_http)() == 204
        closed = await removed.receive_output(TIMEOUT_S)
        assert closed["type"] == "websocket.close" and closed["code"] == 4403
        await sync_to_async(publish)(project.id, open=1, leased=0, done=0)
        assert (await staying.receive_json())["open"] == 1
        await elsewhere.send_json({"type": "ping"})
        assert await elsewhere.receive_json() == {"type": "pong"}
        await staying.close()
        await elsewhere.close()

    async_to_sync(scenario)()
    # Signing in again does not reopen it.
    assert closed_with(project.id, user=annotator_user) == 4403
