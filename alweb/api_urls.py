"""Every REST endpoint lives under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alweb.health.apis import HealthApi
from alweb.projects.auth_apis import TokenApi

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from the same URL: the page needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("auth/token/", TokenApi.as_view(), name="auth-token"),
    path("health/", HealthApi.as_view(), name="health"),
    path("", include("alweb.projects.urls")),
    path("", include("alweb.images.urls")),
    path("", include("alweb.annotations.urls")),
    path("", include("alweb.queue.urls")),
    path("", include("alweb.interchange.urls")),
    path("", include("alweb.cycles.urls")),
    path("", include("alweb.insights.urls")),
]
