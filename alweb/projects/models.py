"""Projects and who may work on them."""

from django.conf import settings
from django.db import models


class Project(models.Model):
    """A keypoint labelling project: a skeleton plus the images labelled against it."""

    name = models.CharField(max_length=200)
    # Ordered keypoint names; a label's i-th point is keypoints[i].
    keypoints = models.JSONField()
    edges = models.JSONField(default=list)
    flip_pairs = models.JSONField(default=list)
    preset = models.CharField(max_length=20, blank=True)
    # Percentile of the pool's predicted losses above which /predict/ flags an image.
    flag_percentile = models.FloatField(default=90.0)
    # The admins' defaults for the dashboard's "Start a cycle" form (strategy, model, budget, epochs,
    # head_epochs, audit_fraction); a field not set here takes the deployment's default.
    cycle_defaults = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin"
        ANNOTATOR = "annotator"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=models.Q(role__in=["admin", "annotator"]), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.role} of project {self.project_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN
