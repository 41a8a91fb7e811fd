"""When each periodic task last finished: the health endpoint's evidence that beat is alive."""

from django.db import models


class PeriodicRun(models.Model):
    name = models.CharField(max_length=100, unique=True)
    finished_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.finished_at:%Y-%m-%d %H:%M:%S}"
