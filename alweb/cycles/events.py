"""Live events about cycles, sent to the project's websocket group after commit."""

from alweb.cycles.models import Cycle
from alweb.cycles.shapes import CycleProgress
from alweb.realtime.events import publish_project_event


def publish_cycle_state(cycle: Cycle) -> None:
    publish_project_event(
        project_id=cycle.project_id,
        event="cycle.state",
        data={"cycle": cycle.id, "index": cycle.index, "state": cycle.state, "error": cycle.error},
    )


def publish_cycle_progress(*, project_id: int, cycle_id: int, progress: CycleProgress) -> None:
    publish_project_event(
        project_id=project_id, event="cycle.progress", data={"cycle": cycle_id, "progress": progress.as_json()}
    )
