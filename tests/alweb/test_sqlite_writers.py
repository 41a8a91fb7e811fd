"""The embedded default's database: a process's writers take turns at once, and nobody's turn is lost."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the SQLite backend's writer queue"),
]

THREADS, TRANSACTIONS = 8, 15


def _write_in_turns(errors: list, waits: list, holds: list) -> None:
    """TRANSACTIONS read-modify-write transactions on one shared row: how long each waited for its turn and held it."""
    users = get_user_model().objects
    try:
        for _ in range(TRANSACTIONS):
            started = time.perf_counter()
            with transaction.atomic():
                counter = users.get(username="counter")
                waits.append(time.perf_counter() - started)
                time.sleep(0.003)  # the rest of a request's work, its turn held
                counter.first_name = str(int(counter.first_name) + 1)
                counter.save(update_fields=["first_name"])
                turn_taken = waits[-1] + started
            holds.append(time.perf_counter() - turn_taken)
    except Exception as error:  # reported by the test, not lost in a thread
        errors.append(error)
    finally:
        connections.close_all()


def test_concurrent_writers_all_commit_and_none_waits_on_sqlite_sleeping():
    get_user_model().objects.create_user(username="counter", first_name="0")
    errors, waits, holds = [], [], []
    threads = [threading.Thread(target=_write_in_turns, args=(errors, waits, holds)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert get_user_model().objects.get(username="counter").first_name == str(THREADS * TRANSACTIONS)
    # Queued in the process, a writer waits for the ones ahead of it only, at most THREADS - 1 turns;
    # in SQLite's busy handler it sleeps in steps that grow to 100 ms and can miss many turns.
    waits.sort()
    holds.sort()
    assert waits[int(0.95 * len(waits))] < 2 * (THREADS - 1) * holds[len(holds) // 2]


def test_a_rolled_back_or_closed_transaction_lets_the_next_writer_in():
    users = get_user_model().objects
    with pytest.raises(RuntimeError), transaction.atomic():
        users.create_user(username="rolled-back")
        raise RuntimeError
    connection.ensure_connection()
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    connection.close()
    with transaction.atomic(durable=True):  # would wait the whole timeout if the writer were still held
        users.create_user(username="after")
    assert list(users.values_list("username", flat=True)) == ["after"]
