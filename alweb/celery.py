"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery
from celery.signals import worker_process_init

from ml.openmp import limit_idle_spinning

# Every service process imports this module first, before anything loads torch (see ml/openmp.py).
limit_idle_spinning()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alweb.settings.base")

app = Celery("alweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _worker_process_setup(**kwargs) -> None:
    """Each pool process that runs tasks takes the worker's share of the machine (alweb/process_roles.py)."""
    # Imported here: torch would otherwise load in every process that imports the Celery app (manage.py, web).
    from alweb.process_roles import worker_process_setup

    worker_process_setup()
