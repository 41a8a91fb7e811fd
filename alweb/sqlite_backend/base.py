"""SQLite, the embedded default, with a process's writers queued in Python instead of in SQLite's busy handler.

SQLite lets one transaction write at a time (BEGIN IMMEDIATE takes the lock; settings.DATABASES). A
writer that finds the lock taken sleeps and retries in SQLite's busy handler, in steps that grow to
100 ms, so with a few annotators saving and skipping at once some requests waited half a second for a
lock that was free after a millisecond (bench/queue_load.py --database sqlite). A web server's request
threads share one process: here they queue for a turn of the process instead, first come first served,
each handed the turn the moment the one before it commits. Other processes (a second web server, the
worker) still meet at SQLite's lock.
"""

import collections
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class _TurnQueue:
    """A lock handed to its waiters in the order they came (threading.Lock lets whoever runs next take it,
    so a thread that writes again at once can keep it while others wait)."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._waiting: collections.deque[threading.Lock] = collections.deque()
        self._taken = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._taken:
                self._taken = True
                return True
            handover = threading.Lock()
            handover.acquire()
            self._waiting.append(handover)
        if handover.acquire(timeout=timeout):
            return True
        with self._mutex:
            if handover in self._waiting:
                self._waiting.remove(handover)
                return False
        return True  # handed over as the wait ran out

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()  # the turn passes on without being free in between
            else:
                self._taken = False


# One per process, for every connection to every SQLite database: settings name one.
_writer = _TurnQueue()


class DatabaseWrapper(base.DatabaseWrapper):
    holds_writer = False

    def _start_transaction_under_autocommit(self):
        if self.holds_writer:  # its turn already, from a transaction that never ended: never wait on itself
            return super()._start_transaction_under_autocommit()
        # As long as SQLite's own wait: the timeout of settings.DATABASES.
        if not _writer.acquire(timeout=self.settings_dict["OPTIONS"].get("timeout", 5)):
            raise OperationalError("database is locked: another request of this process kept writing")
        self.holds_writer = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._writer_release()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._writer_release()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._writer_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._writer_release()

    def _writer_release(self) -> None:
        if self.holds_writer:
            self.holds_writer = False
            _writer.release()
