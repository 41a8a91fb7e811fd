"""Liveness of the service's dependencies: the database and the Celery broker."""
