from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "alweb.queue"
    label = "queue"
