"""ASGI entry point: Django's request handling for HTTP, Channels for the project websockets.

HTTP requests run through Django's synchronous handler on a fixed pool of threads
(a2wsgi), not through its ASGI handler. Every view here is synchronous, and the ASGI
handler starts a new thread for each request and hops between the event loop and that
thread three times on the way to a view: on the queue's hot path that was a third of the
web server's CPU per request. Pooled threads also keep their database connections
(DATABASE_CONN_MAX_AGE), and the pool's size bounds how many requests a process works on
at once. The event loop still reads bodies (under BodyLimitMiddleware's limits) and
writes responses, streamed ones chunk by chunk as the view produces them.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alweb.settings.base")
django_wsgi_app = get_wsgi_application()

# These import models, so they need Django set up first.
from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from alweb.process_roles import web_process_setup  # noqa: E402
from alweb.realtime.routing import websocket_urlpatterns  # noqa: E402
from alweb.request_limits import BodyLimitMiddleware  # noqa: E402

web_process_setup()

application = ProtocolTypeRouter(
    {
        # Bodies over their route's limit are refused before Django reads them.
        "http": BodyLimitMiddleware(WSGIMiddleware(django_wsgi_app, workers=settings.WEB_REQUEST_THREADS)),
        # Session cookie for who, Origin for from where: another site cannot ride the cookie.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
