"""The project websocket hears a cycle's states and its training progress from the worker."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from tests.alweb.cycles.seeding import seed_synthetic
from tests.alweb.realtime.test_project_socket import browser_socket, connect_member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def test_the_dashboard_socket_receives_progress_then_ready(worker, project, admin_user, admin_client):
    seed_synthetic(project=project, user=admin_user, train=16, val=0, pool=8)
    ws = browser_socket(project.id, user=admin_user)
    events = []

    async def scenario():
        await connect_member(ws, project.id)
        response = await sync_to_async(admin_client.post)(
            f"/api/v1/projects/{project.id}/cycles/", {"budget": 3, "epochs": 3}, format="json"
        )
        assert response.status_code == 201
        while True:
            # A receive that times out ends the application, so wait long for each event.
            message = await ws.receive_output(120)
            event = json.loads(message["text"])
            events.append(event)
            if event["type"] == "cycle.state" and event["state"] in ("ready", "failed"):
                break
        await ws.close()

    async_to_sync(scenario)()
    states = [e["state"] for e in events if e["type"] == "cycle.state"]
    assert states[0] == "queued" and "training" in states and "scoring" in states and states[-1] == "ready", states
    training = [e["progress"] for e in events if e["type"] == "cycle.progress" and e["progress"]["phase"] == "training"]
    assert training and training[-1]["epoch"] == 3 and training[-1]["epochs"] == 3
    assert {"pose", "head", "total"} <= set(training[-1]["losses"])
    assert any(e["type"] == "cycle.progress" and e["progress"]["phase"] == "scoring" for e in events)
