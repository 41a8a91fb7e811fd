"""The keypoint active-learning annotation service."""

from alweb.celery import app as celery_app

__all__ = ("celery_app",)
