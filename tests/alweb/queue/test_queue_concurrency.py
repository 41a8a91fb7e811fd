"""Annotators asking for the next image at the same moment get different images.

Each thread is one annotator with its own database connection, released at the end;
the data is committed (transactional_db) so that every connection sees it.
"""

import threading

import pytest
from django.db import connection

from tests.alweb.queue.selections import selection


def annotators(project, make_user, count: int) -> list:
    from alweb.projects.services import membership_set

    users = [make_user(f"annotator{i}") for i in range(count)]
    for user in users:
        membership_set(project=project, username=user.username, role="annotator")
    return users


def race_for_next(clients, project) -> list:
    """POST queue/next from every client at once, each in its own thread; the responses in order."""
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def ask(index: int, client) -> None:
        try:
            barrier.wait(timeout=30)
            responses[index] = client.post(f"/api/v1/projects/{project.id}/queue/next/")
        except Exception as error:  # reported by the assertions below, with the thread's error
            responses[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i, client)) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def assert_distinct_leases(responses, count: int) -> None:
    from alweb.queue.models import QueueEntry

    assert all(getattr(r, "status_code", None) == 200 for r in responses), responses
    images = [r.json()["image"] for r in responses]
    assert len(set(images)) == count
    leased = QueueEntry.objects.filter(state="open").exclude(lease_id=None)
    assert leased.count() == count and len({e.leased_by_id for e in leased}) == count


def test_32_annotators_at_once_get_32_distinct_images_on_postgresql(
    transactional_db, project, cycle, make_images, make_user, client_for
):
    if connection.vendor != "postgresql":
        pytest.skip("Needs row locks and one connection per thread: set DATABASE_URL to a PostgreSQL database.")
    from alweb.queue.services import queue_fill

    queue_fill(cycle=cycle, entries=selection(make_images(40)))
    clients = [client_for(user) for user in annotators(project, make_user, 32)]
    assert_distinct_leases(race_for_next(clients, project), 32)


def test_annotators_at_once_get_distinct_images_on_any_database(
    transactional_db, project, cycle, make_images, make_user, client_for
):
    from alweb.queue.services import queue_fill

    queue_fill(cycle=cycle, entries=selection(make_images(8)))
    clients = [client_for(user) for user in annotators(project, make_user, 6)]
    assert_distinct_leases(race_for_next(clients, project), 6)


def test_the_last_image_goes_to_exactly_one_of_two_annotators(
    transactional_db, project, cycle, make_images, make_user, client_for
):
    from alweb.queue.services import queue_fill

    queue_fill(cycle=cycle, entries=selection(make_images(1)))
    clients = [client_for(user) for user in annotators(project, make_user, 2)]
    statuses = sorted(getattr(r, "status_code", r) for r in race_for_next(clients, project))
    assert statuses == [200, 204]


def test_one_annotator_asking_twice_at_once_holds_one_image(
    transactional_db, project, cycle, make_images, annotator_user, client_for
):
    from alweb.queue.models import QueueEntry
    from alweb.queue.services import queue_fill

    queue_fill(cycle=cycle, entries=selection(make_images(4)))
    responses = race_for_next([client_for(annotator_user) for _ in range(4)], project)
    assert all(getattr(r, "status_code", None) == 200 for r in responses), responses
    assert len({r.json()["image"] for r in responses}) == 1
    assert QueueEntry.objects.exclude(lease_id=None).count() == 1
