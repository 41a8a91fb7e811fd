"""Everything that writes the queue: filling it from a cycle, leasing images, completing them."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from alweb.cycles.models import Cycle
from alweb.errors import Conflict, NotFound
from alweb.images.models import Image
from alweb.projects.models import Membership, Project
from alweb.queue import selectors
from alweb.queue.models import EndedLease, QueueEntry
from alweb.realtime.events import publish_project_event

Open = QueueEntry.State.OPEN
BATCH_SIZE = 1000
# Without row locks (SQLite) a claim is a compare-and-set that can lose to another
# writer; that many candidates are tried before giving up.
CLAIM_ATTEMPTS = 5


@transaction.atomic
def queue_fill(*, cycle: Cycle, entries: list[dict]) -> int:
    """Make the cycle's selection the project's queue, once; returns how many entries it created.

    entries: dicts of image_id, rank (distinct; 1 is labelled first), predicted_loss,
    keypoints ([[x, y, confidence], ...]) and optionally instances, top_percent and is_audit. A second call for the same
    cycle changes nothing and returns 0. Images labelled in the meantime are left out.
    """
    project_id = cycle.project_id
    # Serialises fills and appends of the project, so that ranks and supersession never interleave.
    Project.objects.select_for_update().filter(pk=project_id).first()
    if QueueEntry.objects.filter(cycle=cycle).exists():
        return 0
    image_ids = _checked_image_ids(entries)
    states = _locked_image_states(project_id=project_id, image_ids=image_ids)
    if missing := image_ids - states.keys():
        raise ValueError(f"Images {sorted(missing)[:10]} are not in the cycle's project.")
    selected = {pk for pk, state in states.items() if state != Image.State.LABELLED}

    previous = QueueEntry.objects.filter(project_id=project_id, state=Open)
    # Images first, then entries: the order annotation_save locks them in, so the two never deadlock.
    Image.objects.filter(pk__in=previous.values("image_id"), state=Image.State.QUEUED).update(
        state=Image.State.UNLABELLED
    )
    previous.update(state=QueueEntry.State.SUPERSEDED)
    for chunk in _batches(sorted(selected)):
        Image.objects.filter(pk__in=chunk).update(state=Image.State.QUEUED)
    created = QueueEntry.objects.bulk_create(
        [
            QueueEntry(
                project_id=project_id,
                cycle=cycle,
                image_id=entry["image_id"],
                rank=entry["rank"],
                predicted_loss=entry["predicted_loss"],
                keypoints=entry["keypoints"],
                instances=entry.get("instances", []),
                top_percent=entry.get("top_percent"),
                is_audit=entry.get("is_audit", False),
            )
            for entry in entries
            if entry["image_id"] in selected
        ],
        batch_size=BATCH_SIZE,
    )
    _announce_counts(project=cycle.project)
    return len(created)


def _checked_image_ids(entries: list[dict]) -> set[int]:
    """The selection's image ids; each image and each rank may appear once."""
    image_ids = {entry["image_id"] for entry in entries}
    if len(image_ids) != len(entries):
        raise ValueError("A selection lists each image once.")
    if len({entry["rank"] for entry in entries}) != len(entries):
        raise ValueError("A selection gives each image its own rank.")
    return image_ids


def _locked_image_states(*, project_id: int, image_ids: set[int]) -> dict[int, str]:
    states = {}
    for chunk in _batches(sorted(image_ids)):
        rows = Image.objects.select_for_update().filter(project_id=project_id, pk__in=chunk).order_by("pk")
        states.update(rows.values_list("pk", "state"))
    return states


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]


@transaction.atomic
def queue_append(
    *,
    project: Project,
    image: Image,
    predicted_loss: float,
    keypoints: list,
    instances: list | None = None,
    top_percent: float | None = None,
) -> QueueEntry | None:
    """Add one image after the last open entry of the current selection.

    Returns None, adding nothing, when the image is queued or labelled already or when
    no cycle of the project has made a selection yet.
    """
    Project.objects.select_for_update().filter(pk=project.pk).first()
    image = Image.objects.select_for_update().get(pk=image.pk, project=project)
    if image.state == Image.State.LABELLED or QueueEntry.objects.filter(image=image, state=Open).exists():
        return None
    last = selectors.queue_entries(project=project).last()
    if last is not None:
        cycle_id, rank = last.cycle_id, last.rank + 1
    else:
        ready = Cycle.objects.filter(project=project, state=Cycle.State.READY).order_by("-index")
        cycle_id, rank = ready.values_list("pk", flat=True).first(), 1
    if cycle_id is None or QueueEntry.objects.filter(cycle_id=cycle_id, image=image).exists():
        return None
    entry = QueueEntry.objects.create(
        project=project,
        cycle_id=cycle_id,
        image=image,
        rank=rank,
        predicted_loss=predicted_loss,
        keypoints=keypoints,
        instances=instances or [],
        top_percent=top_percent,
    )
    image.state = Image.State.QUEUED
    image.save(update_fields=["state"])
    _announce_counts(project=project)
    return entry


def lease_next(
    *, project: Project, user, ttl_seconds: int | None = None, after: uuid.UUID | None = None
) -> QueueEntry | None:
    """Lease the highest-ranked entry nobody holds to the user; None when none is left for them.

    A user who already holds a live lease in the project gets that entry back with a
    fresh expiry, so that reloading the page never takes a second image. With `after`,
    one of the user's leases, the editor prefetches the image to label after that one:
    the user's other held entry, else a fresh one; so a user holds two leases at most.
    ttl_seconds defaults to settings.QUEUE_LEASE_SECONDS. 404 if the user is not a member.
    The entry carries its image's size as image_width and image_height.
    """
    ttl = timedelta(seconds=settings.QUEUE_LEASE_SECONDS if ttl_seconds is None else ttl_seconds)
    if connection.vendor == "postgresql":
        return _lease_next_in_one_call(project_id=project.pk, user=user, ttl=ttl, after=after)
    with transaction.atomic():
        # One user's simultaneous requests (two tabs, a double click) queue up here, so
        # that the second finds the first's lease instead of taking a second image. The
        # locked row is also the membership check, read inside the transaction that leases.
        if not Membership.objects.select_for_update().filter(project_id=project.pk, user_id=user.pk).exists():
            raise NotFound("No such project.")
        now = timezone.now()
        held = _held_renewed(project_id=project.pk, user=user, now=now, expires_at=now + ttl, after=after)
        if held is not None:
            return held
        for candidate in selectors.entries_available_to(project=project, user=user, now=now)[:CLAIM_ATTEMPTS]:
            if _claim(entry=candidate, user=user, now=now, expires_at=now + ttl):
                candidate.image_width, candidate.image_height = candidate.image.width, candidate.image.height
                return candidate
    return None


def _lease_next_in_one_call(*, project_id: int, user, ttl: timedelta, after: uuid.UUID | None) -> QueueEntry | None:
    """lease_next on PostgreSQL: the membership lock, the held lease and the claim in one function call, one
    round trip instead of five (migration queue 0005). No row: not a member (404) or nothing left (None)."""
    now = timezone.now()
    entries = QueueEntry.objects.raw(
        f"SELECT *, {_IMAGE_SIZE} FROM queue_lease_next(%s, %s, %s, %s, %s, %s) AS queue_queueentry",
        [project_id, user.pk, now, now + ttl, uuid.uuid4(), after],
    )
    entry = next(iter(entries), None)
    if entry is None and not Membership.objects.filter(project_id=project_id, user_id=user.pk).exists():
        raise NotFound("No such project.")
    return entry


_IMAGE_SIZE = (
    "(SELECT width FROM images_image WHERE images_image.id = queue_queueentry.image_id) AS image_width, "
    "(SELECT height FROM images_image WHERE images_image.id = queue_queueentry.image_id) AS image_height"
)


def _held_renewed(
    *, project_id: int, user, now: datetime, expires_at: datetime, after: uuid.UUID | None
) -> QueueEntry | None:
    """The user's best live lease in the project but `after`, given the new expiry; one UPDATE ... RETURNING."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(expires_at), project_id, user.pk, adapt(now)]
    other = ""
    if after is not None:
        other = "AND lease_id <> %s "
        params.append(QueueEntry._meta.get_field("lease_id").get_db_prep_value(after, connection))
    renewed = QueueEntry.objects.raw(
        "UPDATE queue_queueentry SET lease_expires_at = %s WHERE id = ("
        "SELECT id FROM queue_queueentry WHERE project_id = %s AND state = 'open' AND leased_by_id = %s "
        f"AND lease_expires_at > %s {other}ORDER BY rank LIMIT 1) RETURNING *, {_IMAGE_SIZE}",
        params,
    )
    return next(iter(renewed), None)


def _claim(*, entry: QueueEntry, user, now: datetime, expires_at: datetime) -> bool:
    """Lease the entry if it is still as we read it: open and free; a conditional UPDATE, checked by row count.

    Without row locks (SQLite) this compare-and-set is the claim.
    """
    still_free = QueueEntry.objects.filter(pk=entry.pk, state=Open, lease_id=entry.lease_id).filter(
        Q(lease_id__isnull=True) | Q(lease_expires_at__lt=now)
    )
    lease_id = uuid.uuid4()
    if not still_free.update(lease_id=lease_id, leased_by=user, lease_expires_at=expires_at):
        return False
    if entry.lease_id is not None and entry.leased_by_id not in (None, user.pk):
        EndedLease.objects.create(
            lease_id=entry.lease_id, entry=entry, user_id=entry.leased_by_id, reason=EndedLease.Reason.TAKEN
        )
    entry.lease_id, entry.leased_by, entry.lease_expires_at = lease_id, user, expires_at
    return True


@transaction.atomic
def lease_renew(*, lease_id: uuid.UUID, user) -> QueueEntry:
    """Give the user's lease a fresh expiry; 404 if unknown, 409 if the image went to someone else.

    A lease that expired is renewed as long as nobody took the image in the meantime.
    """
    entry = _held_entry(lease_id=lease_id, user=user)
    if entry.state == QueueEntry.State.SUPERSEDED:
        raise Conflict("A new selection replaced the queue; ask for the next image.")
    if entry.state == QueueEntry.State.DONE:
        raise Conflict("This image has been labelled already.")
    entry.lease_expires_at = timezone.now() + timedelta(seconds=settings.QUEUE_LEASE_SECONDS)
    entry.save(update_fields=["lease_expires_at"])
    return entry


def lease_release(*, lease_id: uuid.UUID, user) -> None:
    """Skip the leased image: it stays open for others and is not offered to this user again."""
    # One statement is a transaction of its own: no BEGIN and COMMIT round trips around it.
    if connection.vendor == "postgresql" and _released_in_one_statement(lease_id=lease_id, user=user):
        return
    with transaction.atomic():
        entry = _held_entry(lease_id=lease_id, user=user)
        EndedLease.objects.create(lease_id=lease_id, entry=entry, user=user, reason=EndedLease.Reason.SKIPPED)
        entry.lease_id = entry.leased_by = entry.lease_expires_at = None
        entry.save(update_fields=["lease_id", "leased_by", "lease_expires_at"])


def _released_in_one_statement(*, lease_id: uuid.UUID, user) -> bool:
    """Free the member's lease and record the skip in one round trip; False, changing nothing, if there is no such lease.

    A data-modifying CTE is PostgreSQL's; the caller falls back to _held_entry, which also says why (409 or 404).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH released AS ("
            "UPDATE queue_queueentry SET lease_id = NULL, leased_by_id = NULL, lease_expires_at = NULL "
            "WHERE lease_id = %s AND leased_by_id = %s AND EXISTS (SELECT 1 FROM projects_membership "
            "WHERE projects_membership.project_id = queue_queueentry.project_id AND projects_membership.user_id = %s) "
            "RETURNING id) "
            "INSERT INTO queue_endedlease (lease_id, entry_id, user_id, reason, ended_at) "
            "SELECT %s, id, %s, %s, %s FROM released",
            [lease_id, user.pk, user.pk, lease_id, user.pk, EndedLease.Reason.SKIPPED.value, timezone.now()],
        )
        return cursor.rowcount == 1


def _held_entry(*, lease_id: uuid.UUID, user) -> QueueEntry:
    """The entry under the user's lease, locked; 409 if someone else took or labelled it, else 404."""
    entry = (
        QueueEntry.objects.select_for_update(of=("self",))
        .filter(lease_id=lease_id, leased_by_id=user.pk)
        .filter(Exists(Membership.objects.filter(project=OuterRef("project"), user_id=user.pk)))
        .first()
    )
    if entry is not None:
        return entry
    ended = (
        EndedLease.objects.filter(lease_id=lease_id, user_id=user.pk)
        .filter(Exists(Membership.objects.filter(project=OuterRef("entry__project"), user_id=user.pk)))
        .first()
    )
    if ended is not None and ended.reason == EndedLease.Reason.TAKEN:
        raise Conflict("Your lease expired and another annotator took the image.")
    if ended is not None and ended.reason == EndedLease.Reason.LABELLED:
        raise Conflict("Another annotator labelled this image.")
    raise NotFound("No such lease.")


@transaction.atomic
def entry_complete_for_image(*, image: Image, user) -> QueueEntry | None:
    """Mark the image's open entry done now that the user labelled it; None if it was not queued."""
    entry = QueueEntry.objects.select_for_update().filter(image=image, state=Open).first()
    if entry is None:
        return None
    if entry.lease_id is not None and entry.leased_by_id not in (None, user.pk):
        EndedLease.objects.create(
            lease_id=entry.lease_id, entry=entry, user_id=entry.leased_by_id, reason=EndedLease.Reason.LABELLED
        )
    entry.state, entry.completed_at = QueueEntry.State.DONE, timezone.now()
    entry.lease_id = entry.leased_by = entry.lease_expires_at = None
    entry.save(update_fields=["state", "completed_at", "lease_id", "leased_by", "lease_expires_at"])
    _announce_counts(project=image.project)
    return entry


def entry_outcome_save(*, entry_id: int, realized_loss: float, pck: float | None) -> None:
    """Record how wrong the cycle's model was on the image once a person labelled it."""
    QueueEntry.objects.filter(pk=entry_id).update(realized_loss=realized_loss, pck=pck)


def _announce_counts(*, project: Project) -> None:
    """Send the project's dashboards the queue's counts once the transaction commits.

    Only the changes of the selection are announced; leases come and go too often to be
    counted on every queue/next, so "leased" is as of the latest announcement.
    """
    publish_project_event(project_id=project.pk, event="queue.changed", data=selectors.queue_stats(project=project))
