"""Sign-in pages under the same limits as the token endpoint: too many attempts get a 429 page."""

import functools
import math

from django.shortcuts import render

from alweb.throttles import login_wait


def login_throttled(view):
    """Wrap a login view: a POST over the per-username or per-address limit is answered 429 with Retry-After."""

    @functools.wraps(view)
    def throttled(request, *args, **kwargs):
        if request.method == "POST":
            wait = login_wait(request)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                response = render(request, "registration/throttled.html", {"retry_after": seconds}, status=429)
                response["Retry-After"] = str(seconds)
                return response
        return view(request, *args, **kwargs)

    return throttled
