"""Rate limits on sign-in and on costly requests, counted in Django's cache (settings.THROTTLE_RATES).

The sign-in throttles also guard the browser's login pages, which are not DRF views: they read
the username from a DRF request's data or a Django request's form, whichever the request has.
"""

import hashlib

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from settings.THROTTLE_RATES when it is made; an empty rate is no limit."""

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope) or None

    def key_for(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginIpThrottle(SettingsRateThrottle):
    """Sign-in attempts from one address, whichever usernames they try."""

    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.key_for(self.get_ident(request))


class LoginUsernameThrottle(SettingsRateThrottle):
    """Sign-in attempts for one username, from whichever addresses they come."""

    scope = "login"

    def get_cache_key(self, request, view):
        username = submitted_username(request)
        if not username:
            return None
        # Hashed: a username may hold characters or a length that a cache key may not.
        return self.key_for(hashlib.sha256(username.casefold().encode()).hexdigest())


class UserCostlyRateThrottle(SettingsRateThrottle):
    """Writes by one signed-in user; reads are not counted."""

    def get_cache_key(self, request, view):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None
        return self.key_for(str(request.user.pk))


class PredictThrottle(UserCostlyRateThrottle):
    scope = "predict"


class UploadThrottle(UserCostlyRateThrottle):
    scope = "upload"


LOGIN_THROTTLES = (LoginIpThrottle, LoginUsernameThrottle)


def submitted_username(request) -> str:
    """The username a sign-in request names, from a DRF request's data or a Django form; '' if none."""
    data = getattr(request, "data", None)
    if data is None:
        data = request.POST
    username = data.get("username") if hasattr(data, "get") else None
    return username.strip() if isinstance(username, str) else ""


def login_wait(request) -> float | None:
    """Seconds to wait if this sign-in attempt is over a limit; None if it may go ahead (and is counted)."""
    throttles = [throttle_class() for throttle_class in LOGIN_THROTTLES]
    waits = [throttle.wait() for throttle in throttles if not throttle.allow_request(request, None)]
    if not waits:
        return None
    return max(wait or 1 for wait in waits)
