"""A task that proves a worker consumes the default queue."""

from celery import shared_task


@shared_task(name="health.ping")
def ping() -> str:
    """Answer "pong"."""
    return "pong"
