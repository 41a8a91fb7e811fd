"""The annotators' queue: a cycle's selection, ranked by predicted loss, handed out under leases."""

from django.conf import settings
from django.db import models

from alweb.cycles.models import Cycle
from alweb.images.models import Image
from alweb.projects.models import Project


class QueueEntry(models.Model):
    """One selected image, pre-annotated with the model's keypoints.

    An open entry is available when it has no lease or its lease has expired: an
    annotator who walks away gives the image back by doing nothing.
    """

    class State(models.TextChoices):
        OPEN = "open"
        DONE = "done"
        SUPERSEDED = "superseded"

    # Denormalised from cycle so that the ranked index can start with the project. Every
    # lease rewrites the row and all its indexes, so none is kept that another covers:
    # the open-rank index serves lookups by project, the (cycle, image) one those by cycle.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="queue_entries", db_index=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="queue_entries", db_index=False)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="queue_entries")
    # 1 is the highest predicted loss: the image to label first.
    rank = models.PositiveIntegerField()
    predicted_loss = models.FloatField()
    # Where the predicted loss stands in the scored pool, in percent from the top (2.0: top 2 %).
    top_percent = models.FloatField(null=True, blank=True)
    # A random pool image the cycle mixed in to measure its ranking against; annotators are not told.
    is_audit = models.BooleanField(default=False)
    # The model's prediction, shown as the pre-annotation: K points [x, y, confidence].
    keypoints = models.JSONField()
    # Every person instance the model found: {"bbox": [x, y, w, h], "keypoints": [[x, y, c]],
    # "predicted_loss"}, highest loss first; keypoints above are the first one's. An image
    # without person boxes has one instance covering it.
    instances = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    lease_id = models.UUIDField(null=True, blank=True, unique=True)
    leased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    realized_loss = models.FloatField(null=True, blank=True)
    # PCK of the model's keypoints against the human label.
    pck = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "rank"]
        constraints = [
            # A cycle selects an image once, whatever happens to the entry afterwards.
            models.UniqueConstraint(fields=["cycle", "image"], name="queue_entry_unique_cycle_image"),
            models.UniqueConstraint(
                fields=["image"], condition=models.Q(state="open"), name="queue_entry_one_open_per_image"
            ),
            # The open queue's order; queue/next walks this index from the top and stops
            # at the first entry nobody holds, however many entries the pool has.
            models.UniqueConstraint(
                fields=["project", "rank"], condition=models.Q(state="open"), name="queue_entry_open_rank"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["open", "done", "superseded"]), name="queue_entry_state_valid"
            ),
        ]
        indexes = [
            # "Does this user hold a lease already?": only the few leased rows are indexed.
            models.Index(
                fields=["leased_by"], condition=models.Q(leased_by__isnull=False), name="queue_entry_leased_by"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} image {self.image_id} ({self.state})"


class EndedLease(models.Model):
    """A lease that ended before its time: skipped, taken over after expiry, or labelled.

    It tells the holder why the lease is gone (409 instead of 404), and it keeps the
    images an annotator skipped away from that annotator while the selection lasts.
    """

    class Reason(models.TextChoices):
        SKIPPED = "skipped"
        TAKEN = "taken"
        LABELLED = "labelled"

    lease_id = models.UUIDField(primary_key=True)
    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="ended_leases")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    ended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # queue/next asks "did this user skip this entry?" for each entry it passes.
            models.Index(fields=["user", "entry"], condition=models.Q(reason="skipped"), name="ended_lease_skipped"),
        ]

    def __str__(self) -> str:
        return f"lease {self.lease_id} ({self.reason})"
