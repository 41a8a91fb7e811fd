"""Images of a project's pool, stored through Django's storage API."""

from django.db import models

from alweb.projects.models import Project


class Image(models.Model):
    class Split(models.TextChoices):
        POOL = "pool"
        TRAIN = "train"
        VAL = "val"

    class State(models.TextChoices):
        UNLABELLED = "unlabelled"
        QUEUED = "queued"
        LABELLED = "labelled"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(max_length=255)
    file = models.FileField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=20)
    # Dimensions of the upright image (after EXIF orientation is applied).
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    split = models.CharField(max_length=10, choices=Split.choices, default=Split.POOL)
    state = models.CharField(max_length=12, choices=State.choices, default=State.UNLABELLED)
    # Person boxes [[x, y, w, h], ...] of an unlabelled image, e.g. from the user's detector;
    # scoring crops around each. None or empty: one instance covering the whole image.
    boxes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="image_unique_content"),
        ]
        indexes = [
            models.Index(fields=["project", "state", "id"], name="image_project_state"),
            models.Index(fields=["project", "split", "id"], name="image_project_split"),
        ]

    def __str__(self) -> str:
        return self.name
