"""Active-learning cycles, the models they train and the scores those models give."""

from django.db import models

from alweb.images.models import Image
from alweb.projects.models import Project


class Cycle(models.Model):
    """One round of train -> score -> select, a state machine driven by conditional updates."""

    class State(models.TextChoices):
        QUEUED = "queued"
        TRAINING = "training"
        SCORING = "scoring"
        SELECTING = "selecting"
        READY = "ready"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE_STATES = (State.QUEUED, State.TRAINING, State.SCORING, State.SELECTING)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cycles")
    index = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    strategy = models.CharField(max_length=40)
    budget = models.PositiveIntegerField()
    epochs = models.PositiveIntegerField()
    # After the pose epochs, epochs that train the loss head alone on the converged network.
    head_epochs = models.PositiveIntegerField(default=0)
    # The share of the budget added as a random sample of the pool, unmarked in the queue: its
    # labels are the honest baseline the selected images' PCK is compared with. 0 turns it off.
    audit_fraction = models.FloatField(default=0.1)
    model_name = models.CharField(max_length=40)
    progress = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker holding the cycle renews lease_expires_at while it works; an expired
    # lease means the worker died and another may take the cycle over.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "index"]
        constraints = [
            models.UniqueConstraint(fields=["project", "index"], name="cycle_unique_index"),
            # At most one cycle of a project runs at a time.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(state__in=["queued", "training", "scoring", "selecting"]),
                name="cycle_one_active_per_project",
            ),
        ]
        indexes = [models.Index(fields=["state", "lease_expires_at"], name="cycle_state_lease")]

    def __str__(self) -> str:
        return f"cycle {self.index} of project {self.project_id} ({self.state})"


class ModelVersion(models.Model):
    """A trained model: its checkpoint in storage, its metrics, whether it is the one in use."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    cycle = models.OneToOneField(Cycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="model_version")
    model_name = models.CharField(max_length=40)
    checkpoint = models.FileField(max_length=255, blank=True)
    metrics = models.JSONField(default=dict)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(is_active=True), name="model_version_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"model version {self.pk} of project {self.project_id}"


class Score(models.Model):
    """What one model version predicts for one image."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="scores")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="scores")
    predicted_loss = models.FloatField()
    # Multi-peak heatmap entropy: the uncertainty the multipeak_entropy strategy ranks by.
    entropy = models.FloatField(null=True)
    # K points [x, y] in upright-image pixels and K confidences in [0, 1].
    keypoints = models.JSONField()
    confidence = models.JSONField()
    # For an image scored by its person boxes, every instance: {"bbox", "keypoints" [[x, y, c]],
    # "predicted_loss"}, highest loss first; the fields above are then the first instance's.
    # Empty for an image scored whole (one instance): the fields above are all there is.
    instances = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            # Re-running a scoring chunk overwrites instead of duplicating.
            models.UniqueConstraint(fields=["model_version", "image"], name="score_unique_image"),
        ]
        indexes = [
            # The ranked queue walks this index from the top: no sort over the pool.
            models.Index(
                models.F("model_version"), models.F("predicted_loss").desc(), models.F("id"), name="score_ranked"
            ),
            # Selection reads every pool image's loss and entropy in image order: from this index
            # alone (an index-only scan), not from rows that carry each image's keypoints.
            models.Index(
                fields=["model_version", "image"], include=["predicted_loss", "entropy"], name="score_pool_columns"
            ),
        ]

    def __str__(self) -> str:
        return f"score of image {self.image_id} by model version {self.model_version_id}"
