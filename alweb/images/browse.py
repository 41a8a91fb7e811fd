"""The data browser's reads: a project's images filtered and sorted, paged by a keyset cursor.

Every page is one index walk from the cursor's position (WHERE key > position ORDER BY key
LIMIT n + 1), never an OFFSET, so a deep page costs what the first one does. The row
details that the filters do not need (the model's predicted loss, the queue rank, whether
someone skipped the image) are read for the page's rows only, by their unique indexes.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from alweb.cycles.models import ModelVersion, Score
from alweb.errors import InvalidInput
from alweb.images.models import Image
from alweb.projects.models import Project
from alweb.queue.models import EndedLease, QueueEntry

SKIPPED = "skipped"
STATES = (Image.State.UNLABELLED, Image.State.QUEUED, SKIPPED, Image.State.LABELLED)
# Each sort's key: the value it orders by, then a tie-break that makes the key unique, each with
# whether it runs against the sort's direction. Every key is an index's order, so that a page is
# one walk of that index: the image id, the label's (updated_at, image) index, the scores'
# (model version, predicted loss descending, score id) one and the open queue's (project, rank).
# A sort lists only the images that have its value (see SORT_HELP).
SORT_KEYS = {
    "uploaded": (("id", False),),
    "labelled_at": (("annotation__updated_at", False), ("annotation__image_id", False)),
    "predicted_loss": (("latest_score__predicted_loss", False), ("latest_score__id", True)),
    "rank": (("open_entry__rank", False),),
}
SORTS = tuple(f"{sign}{name}" for name in SORT_KEYS for sign in ("", "-"))
STATE_HELP = (
    "unlabelled: no label and not in the queue; queued: waiting in the annotators' queue; "
    "skipped: waiting in the queue, and skipped by at least one annotator since the queue was filled "
    "(an annotator who skips an image is not given it again; the others are); labelled: has a label."
)
SORT_HELP = (
    "uploaded: upload order (oldest first; -uploaded newest first); labelled_at: label time, labelled images only; "
    "predicted_loss: the newest scoring model's predicted loss, scored images only (-predicted_loss highest first); "
    "rank: queue rank, images in the queue only (1 is labelled first)."
)
ROW_FIELDS = ("id", "name", "width", "height", "sha256", "split", "state", "project_id", "boxes", "created_at")


@dataclass(frozen=True)
class BrowsePage:
    rows: list[dict]
    next_cursor: str | None
    previous_cursor: str | None


def browse_page(
    *,
    project: Project,
    split: str | None = None,
    state: str | None = None,
    annotator: str | None = None,
    sort: str = "uploaded",
    cursor: str | None = None,
    page_size: int = 50,
) -> BrowsePage:
    """One page of the project's images as row dicts, with the cursors of the pages either side."""
    name = sort.removeprefix("-")
    descending = sort.startswith("-")
    position, backwards = _decoded(cursor, sort) if cursor else (None, False)
    walk_descending = descending != backwards
    fields = SORT_KEYS[name]
    # Named once: a later filter() on a reverse relation's path would join its table a second time.
    key = [("sort_value", walk_descending != fields[0][1]), ("sort_tiebreak", walk_descending != fields[-1][1])]
    key = key[: len(fields)]
    version_id = latest_scored_version_id(project=project)
    images = _filtered(
        project=project, split=split, state=state, annotator=annotator, sort=name, version_id=version_id
    ).annotate(sort_value=F(fields[0][0]), sort_tiebreak=F(fields[-1][0]))
    if position is not None:
        images = images.filter(_beyond(key, position))
    order = [F(field).desc() if field_descending else F(field).asc() for field, field_descending in key]
    rows = list(
        images.order_by(*order).values(
            *ROW_FIELDS,
            "sort_value",
            "sort_tiebreak",
            labelled_by=F("annotation__annotator__username"),
            labelled_at=F("annotation__updated_at"),
        )[: page_size + 1]
    )
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    has_next, has_previous = (True, more) if backwards else (more, position is not None)
    _add_details(rows=rows, version_id=version_id)
    return BrowsePage(
        rows=rows,
        next_cursor=cursor_for(sort=sort, row=rows[-1]) if rows and has_next else None,
        previous_cursor=cursor_for(sort=sort, row=rows[0], backwards=True) if rows and has_previous else None,
    )


def latest_scored_version_id(*, project: Project) -> int | None:
    """The newest model version of the project that scored images: the predicted losses the browser shows."""
    scored = Exists(Score.objects.filter(model_version=OuterRef("pk")))
    return (
        ModelVersion.objects.filter(project=project).filter(scored).order_by("-id").values_list("id", flat=True).first()
    )


def _skipped() -> Exists:
    return Exists(
        EndedLease.objects.filter(
            entry__image=OuterRef("pk"), entry__state=QueueEntry.State.OPEN, reason=EndedLease.Reason.SKIPPED
        )
    )


def _filtered(
    *, project: Project, split: str | None, state: str | None, annotator: str | None, sort: str, version_id: int | None
) -> QuerySet:
    images = Image.objects.filter(project=project)
    if split:
        images = images.filter(split=split)
    if state in (Image.State.UNLABELLED, Image.State.LABELLED):
        images = images.filter(state=state)
    elif state == Image.State.QUEUED:
        images = images.filter(~_skipped(), state=Image.State.QUEUED)
    elif state == SKIPPED:
        images = images.filter(_skipped(), state=Image.State.QUEUED)
    if annotator:
        images = images.filter(annotation__annotator__username=annotator)
    if sort == "labelled_at":
        images = images.filter(annotation__isnull=False)
    elif sort == "predicted_loss":
        images = images.annotate(
            latest_score=FilteredRelation("scores", condition=Q(scores__model_version_id=version_id))
        ).filter(latest_score__predicted_loss__isnull=False)
    elif sort == "rank":
        images = images.annotate(
            open_entry=FilteredRelation("queue_entries", condition=Q(queue_entries__state=QueueEntry.State.OPEN))
        ).filter(open_entry__project_id=project.id)
    return images


def _beyond(key: list[tuple[str, bool]], position: list) -> Q:
    """The rows after `position` in the walk's order, (a, b) > (a0, b0) with each field's direction.

    Written as a <= a0 AND (a < a0 OR b > b0) (for a descending a), whose first term is a range
    the index seeks to; an OR alone would be read from the index's start.
    """
    (field, descending), *rest = key
    after, up_to = ("lt", "lte") if descending else ("gt", "gte")
    if not rest:
        return Q(**{f"{field}__{after}": position[0]})
    ((tiebreak, tiebreak_descending),) = rest
    tiebreak_after = "lt" if tiebreak_descending else "gt"
    value, tiebreak_value = position
    return Q(**{f"{field}__{up_to}": value}) & (
        Q(**{f"{field}__{after}": value}) | Q(**{f"{tiebreak}__{tiebreak_after}": tiebreak_value})
    )


def _add_details(*, rows: list[dict], version_id: int | None) -> None:
    """Give each row its predicted loss, queue rank and browser state, reading the page's rows only."""
    ids = [row["id"] for row in rows]
    losses = dict(
        Score.objects.filter(model_version_id=version_id, image_id__in=ids).values_list("image_id", "predicted_loss")
    )
    # order_by(): the queue's default order would join the project table for nothing.
    open_entries = QueueEntry.objects.filter(image_id__in=ids, state=QueueEntry.State.OPEN).order_by()
    entries = {
        entry_id: (image_id, rank) for entry_id, image_id, rank in open_entries.values_list("id", "image_id", "rank")
    }
    ranks = dict(entries.values())
    skips = EndedLease.objects.filter(entry_id__in=entries, reason=EndedLease.Reason.SKIPPED).order_by()
    skipped = {entries[entry_id][0] for entry_id in skips.values_list("entry_id", flat=True)}
    for row in rows:
        row["predicted_loss"] = losses.get(row["id"])
        row["rank"] = ranks.get(row["id"])
        if row["state"] == Image.State.QUEUED and row["id"] in skipped:
            row["state"] = SKIPPED


def cursor_for(*, sort: str, row: dict, backwards: bool = False) -> str:
    """The cursor of the page that starts just after `row` (before it, backwards) in the listing sorted by `sort`.

    `row` holds the sort_value and sort_tiebreak that browse_page's rows carry.
    """
    value = row["sort_value"]
    if len(SORT_KEYS[sort.removeprefix("-")]) == 1:
        position = [value]
    else:
        position = [value.isoformat() if isinstance(value, datetime) else value, row["sort_tiebreak"]]
    text = json.dumps({"s": sort, "p": position, "b": backwards}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


INVALID_CURSOR = "This cursor was not given by this listing with this sort; start again from the first page."


def _decoded(cursor: str, sort: str) -> tuple[list, bool]:
    """The position and direction a cursor holds; InvalidInput for anything this listing did not give out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(text)
        position, backwards = body["p"], body["b"]
        valid = body["s"] == sort and isinstance(backwards, bool) and isinstance(position, list)
    except (binascii.Error, ValueError, TypeError, KeyError):
        valid = False
    if not valid or not _position_fits(position, sort):
        raise InvalidInput({"cursor": INVALID_CURSOR})
    if sort.removeprefix("-") == "labelled_at":
        position[0] = datetime.fromisoformat(position[0])
    return position, backwards


def _position_fits(position: list, sort: str) -> bool:
    """Whether a decoded position has the types of the sort's key, and numbers the database can compare."""
    name = sort.removeprefix("-")
    if len(position) != len(SORT_KEYS[name]) or not _is_id(position[-1]):
        return False
    if name == "labelled_at":
        try:
            return datetime.fromisoformat(position[0]).tzinfo is not None
        except (TypeError, ValueError):
            return False
    if name == "predicted_loss":
        loss = position[0]
        return isinstance(loss, float | int) and not isinstance(loss, bool) and abs(loss) < 1e300
    return True


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def browse_neighbours(
    *,
    project: Project,
    image_id: int,
    split: str | None = None,
    state: str | None = None,
    annotator: str | None = None,
    sort: str = "uploaded",
) -> tuple[int | None, int | None]:
    """The ids of the images before and after this one in the listing these filters and sort give; None at an end.

    (None, None) when the image is not in that listing at all.
    """
    name = sort.removeprefix("-")
    fields = SORT_KEYS[name]
    version_id = latest_scored_version_id(project=project)
    images = _filtered(project=project, split=split, state=state, annotator=annotator, sort=name, version_id=version_id)
    row = (
        images.filter(pk=image_id)
        .annotate(sort_value=F(fields[0][0]), sort_tiebreak=F(fields[-1][0]))
        .values("sort_value", "sort_tiebreak")
        .first()
    )
    if row is None:
        return None, None
    query = {"project": project, "split": split, "state": state, "annotator": annotator, "sort": sort, "page_size": 1}
    before = browse_page(cursor=cursor_for(sort=sort, row=row, backwards=True), **query).rows
    after = browse_page(cursor=cursor_for(sort=sort, row=row), **query).rows
    return (before[0]["id"] if before else None), (after[0]["id"] if after else None)


def image_prediction(*, image: Image) -> dict | None:
    """What the model predicts for the image, as the editor pre-annotates it: {"keypoints": [[x, y, confidence]],
    "instances": [...]} from its open queue entry, else from the newest scoring model; None if neither has one."""
    entry = QueueEntry.objects.filter(image=image, state=QueueEntry.State.OPEN).order_by().first()
    if entry is not None:
        return {"keypoints": entry.keypoints, "instances": entry.instances}
    version_id = latest_scored_version_id(project=image.project)
    score = Score.objects.filter(model_version_id=version_id, image=image).first()
    if score is None:
        return None
    keypoints = [[x, y, confidence] for (x, y), confidence in zip(score.keypoints, score.confidence)]
    return {"keypoints": keypoints, "instances": score.instances}


def queue_place(*, image: Image) -> dict:
    """Where the image stands in the open queue: its rank and top_percent, both None when it is not queued."""
    entry = QueueEntry.objects.filter(image=image, state=QueueEntry.State.OPEN).order_by().values("rank", "top_percent")
    return entry.first() or {"rank": None, "top_percent": None}
