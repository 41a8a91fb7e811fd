"""Websocket URLs."""
from django.urls import path

import alweb.url_converters  # noqa: F401  (registers the <id:...> converter)
from alweb.realtime.consumers import ProjectConsumer

websocket_urlpatterns = [
    path("ws/projects/<id:project_id>/", ProjectConsumer.as_asgi()),
]
