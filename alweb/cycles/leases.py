"""Keep a worker's lease on the cycle it trains alive, and notice when the lease is lost."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from alweb.cycles.services import cycle_heartbeat

logger = logging.getLogger(__name__)


class CycleInterrupted(Exception):
    """The cycle was cancelled or another worker took it over: stop without writing anything."""


class LeaseKeeper:
    """Renew the worker's lease on a thread while training runs; `check()` raises once it is lost."""

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
        while not self._stop.wait(settings.CYCLE_HEARTBEAT_SECONDS):
            try:
                if not cycle_heartbeat(cycle_id=self.cycle_id, worker=self.worker):
                    self.lost.set()
                    return
            except Exception:
                # A database hiccup is not a lost lease; the next beat tries again.
                logger.exception("heartbeat of cycle %s failed", self.cycle_id)
            finally:
                # This thread has its own database connection; Django closes only the request thread's.
                close_old_connections()

    def check(self) -> None:
        if self.lost.is_set():
            raise CycleInterrupted(f"cycle {self.cycle_id} was cancelled or taken over")
