from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "alweb.projects"

    def ready(self):
        # Sign-in and tokens live here; the token cache must hear of every revocation in every process.
        from alweb.auth_cache import connect_signals

        connect_signals()
