from django.contrib import admin
from django.urls import include, path

import alweb.url_converters  # noqa: F401  (registers <id:...>, used by every app's routes)
from alweb.web.login_views import login_throttled

# Under /api/ these answer JSON like every other API error; elsewhere Django's pages.
handler400 = "alweb.api_errors.bad_request"
handler404 = "alweb.api_errors.page_not_found"
handler500 = "alweb.api_errors.server_error"

urlpatterns = [
    path("api/v1/", include("alweb.api_urls")),
    # The admin site's own sign-in, under the same limits as the others.
    path("admin/login/", login_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("alweb.web.urls")),
]
