"""Keypoint labels; every edit keeps the previous version as a revision."""

from django.conf import settings
from django.db import models

from alweb.images.models import Image


class Annotation(models.Model):
    """The current label of an image: its person instances, each a box and K points [x, y, v]
    in upright-image pixels (COCO v); an empty list says there is no one to label.
    alweb/annotations/instances.py describes an instance."""

    image = models.OneToOneField(Image, on_delete=models.CASCADE, related_name="annotation")
    instances = models.JSONField()
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The data browser's label-time sort walks the first index; its annotator filter reads the
            # second, in label-time order.
            models.Index(fields=["updated_at", "image"], name="annotation_label_time"),
            models.Index(fields=["annotator", "updated_at", "image"], name="annotation_annotator_time"),
        ]

    def __str__(self) -> str:
        return f"label of image {self.image_id}, version {self.version}"

    @property
    def etag(self) -> str:
        return f'"{self.image_id}-{self.version}"'


class AnnotationRevision(models.Model):
    """A version of a label as it was saved; the history is never rewritten."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    instances = models.JSONField()
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation", "version"]
        constraints = [
            models.UniqueConstraint(fields=["annotation", "version"], name="revision_unique_version"),
        ]

    def __str__(self) -> str:
        return f"label {self.annotation_id}, version {self.version}"
