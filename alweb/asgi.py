"""ASGI entry point: Django for HTTP, Channels for the project websockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alweb.settings.base")
django_asgi_app = get_asgi_application()

# These import models, so they need Django set up first.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from alweb.process_roles import web_process_setup  # noqa: E402
from alweb.realtime.routing import websocket_urlpatterns  # noqa: E402
from alweb.request_limits import BodyLimitMiddleware  # noqa: E402

web_process_setup()

application = ProtocolTypeRouter(
    {
        # Bodies over their route's limit are refused before Django reads them.
        "http": BodyLimitMiddleware(django_asgi_app),
        # Session cookie for who, Origin for from where: another site cannot ride the cookie.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
