"""Filling the queue from a cycle, appending to it, completing entries: the services the cycle code calls."""

import pytest

from tests.alweb.queue.selections import prediction, selection

pytestmark = pytest.mark.django_db


def open_images(project) -> list[int]:
    from alweb.queue.selectors import queue_entries

    return [entry.image_id for entry in queue_entries(project=project)]


def image_states(images) -> list[str]:
    from alweb.images.models import Image

    states = dict(Image.objects.filter(pk__in=[i.id for i in images]).values_list("pk", "state"))
    return [states[i.id] for i in images]


def test_fill_is_idempotent(project, cycle, make_images):
    from alweb.queue.models import QueueEntry
    from alweb.queue.services import queue_fill

    images = make_images(4)
    assert queue_fill(cycle=cycle, entries=selection(images)) == 4
    assert queue_fill(cycle=cycle, entries=selection(images)) == 0
    assert queue_fill(cycle=cycle, entries=selection(make_images(2))) == 0
    assert QueueEntry.objects.count() == 4
    assert open_images(project) == [i.id for i in images]
    assert image_states(images) == ["queued"] * 4


def test_a_new_selection_supersedes_the_open_one(annotator_client, project, cycle, make_cycle, make_images):
    from alweb.images.models import Image
    from alweb.queue.models import QueueEntry
    from alweb.queue.services import queue_fill

    a, b, c, d = make_images(4)
    queue_fill(cycle=cycle, entries=selection([a, b, c]))
    lease = annotator_client.post(f"/api/v1/projects/{project.id}/queue/next/").json()["lease"]
    Image.objects.filter(pk=b.pk).update(state="labelled")
    QueueEntry.objects.filter(image=b).update(state="done")

    assert queue_fill(cycle=make_cycle(index=2), entries=selection([d, c])) == 2
    assert open_images(project) == [d.id, c.id]
    assert image_states([a, b, c, d]) == ["unlabelled", "labelled", "queued", "queued"]
    assert sorted(QueueEntry.objects.filter(cycle=cycle).values_list("state", flat=True)) == [
        "done",
        "superseded",
        "superseded",
    ]
    renewed = annotator_client.post(f"/api/v1/leases/{lease['id']}/renew/")
    assert renewed.status_code == 409 and "new selection" in renewed.json()["detail"]


def test_fill_leaves_out_labelled_images_and_refuses_bad_selections(project, cycle, make_images, admin_user):
    from alweb.images.models import Image
    from alweb.projects.services import project_create
    from alweb.queue.models import QueueEntry
    from alweb.queue.services import queue_fill

    a, b = make_images(2)
    Image.objects.filter(pk=a.pk).update(state="labelled")
    other = project_create(user=admin_user, name="Elsewhere", preset="lsp14")
    foreign = Image.objects.create(
        project=other, name="f.png", file="images/f.png", sha256="f" * 64, content_type="image/png", width=9, height=9
    )
    with pytest.raises(ValueError, match="not in the cycle's project"):
        queue_fill(cycle=cycle, entries=selection([b, foreign]))
    with pytest.raises(ValueError, match="once"):
        queue_fill(cycle=cycle, entries=selection([b, b]))
    with pytest.raises(ValueError, match="own rank"):
        queue_fill(cycle=cycle, entries=[{**entry, "rank": 1} for entry in selection([a, b])])
    assert not QueueEntry.objects.exists()

    assert queue_fill(cycle=cycle, entries=selection([a, b])) == 1
    assert open_images(project) == [b.id]


def test_append_adds_after_the_last_open_entry(project, cycle, make_images):
    from alweb.queue.services import queue_append, queue_fill

    queued, extra = make_images(2), make_images(1)[0]
    queue_fill(cycle=cycle, entries=selection(queued))
    entry = queue_append(project=project, image=extra, predicted_loss=9.5, keypoints=prediction(0))
    assert (entry.rank, entry.cycle_id, entry.predicted_loss) == (3, cycle.id, 9.5)
    assert open_images(project) == [queued[0].id, queued[1].id, extra.id]
    assert image_states([extra]) == ["queued"]
    assert queue_append(project=project, image=extra, predicted_loss=9.5, keypoints=prediction(0)) is None


def test_append_needs_a_cycle_and_an_unlabelled_image(project, make_cycle, make_images):
    from alweb.images.models import Image
    from alweb.queue.services import queue_append

    fresh, labelled = make_images(2)
    assert queue_append(project=project, image=fresh, predicted_loss=1.0, keypoints=prediction(0)) is None
    make_cycle()
    Image.objects.filter(pk=labelled.pk).update(state="labelled")
    assert queue_append(project=project, image=labelled, predicted_loss=1.0, keypoints=prediction(0)) is None
    assert queue_append(project=project, image=fresh, predicted_loss=1.0, keypoints=prediction(0)).rank == 1


def test_complete_returns_the_entry_or_none(project, queued, annotator_user):
    from alweb.images.models import Image
    from alweb.queue.services import entry_complete_for_image

    done = entry_complete_for_image(image=queued[0], user=annotator_user)
    assert done.state == "done" and done.completed_at is not None
    assert entry_complete_for_image(image=queued[0], user=annotator_user) is None
    loose = Image.objects.create(
        project=project, name="l.png", file="images/l.png", sha256="e" * 64, content_type="image/png", width=9, height=9
    )
    assert entry_complete_for_image(image=loose, user=annotator_user) is None


def test_dashboards_hear_the_new_counts(project, cycle, make_images, annotator_user, monkeypatch):
    from alweb.queue import services

    sent = []
    monkeypatch.setattr(services, "publish_project_event", lambda **event: sent.append(event))
    images = make_images(3)
    services.queue_fill(cycle=cycle, entries=selection(images[:2]))
    services.queue_append(project=project, image=images[2], predicted_loss=0.5, keypoints=prediction(0))
    services.entry_complete_for_image(image=images[0], user=annotator_user)
    assert [(e["event"], e["data"]) for e in sent] == [
        ("queue.changed", {"open": 2, "leased": 0, "done": 0}),
        ("queue.changed", {"open": 3, "leased": 0, "done": 0}),
        ("queue.changed", {"open": 2, "leased": 0, "done": 1}),
    ]
    assert {e["project_id"] for e in sent} == {project.id}
