"""Websocket URLs."""

from django.urls import path

from alweb.realtime.consumers import ProjectConsumer

websocket_urlpatterns = [
    # Any number of digits: the consumer itself refuses an id beyond 64 bits with the same 4403 as an
    # unknown project, so that a socket never learns more from the id's size than from its value.
    path("ws/projects/<int:project_id>/", ProjectConsumer.as_asgi()),
]
