from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "alweb.images"
