from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "alweb.demo"
