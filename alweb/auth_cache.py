"""API tokens resolved from Django's cache, so that a REST request reads no row to know its user.

The cache holds the token's user, active when cached. Every change that could revoke
access deletes the entry: the token deleted (DELETE /api/v1/auth/token/, the admin site,
the user deleted) or the user saved (deactivated, made staff or not). Saves and deletes
through a queryset's update() or delete() on User bypass the signals; TOKEN_CACHE_SECONDS
bounds how long such a change can go unseen.
"""

import functools
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

TOKEN_CACHE_SECONDS = 300


@functools.cache
def _cache():
    """The default cache's backend, one per process.

    django.core.cache.cache is one per request under ASGI (each request runs in a context of
    its own), and each of those opens its own Redis connection pool: a TCP connect per request.
    """
    return caches.create_connection("default")


def _cache_key(token_key: str) -> str:
    # The token is a credential: the cache (Redis, files) sees its hash only.
    return "auth:token:" + hashlib.sha256(token_key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with the token's user cached; request.auth is the token's key."""

    def authenticate_credentials(self, key):
        cache_key = _cache_key(key)
        user = _cache().get(cache_key)
        if user is not None:
            return user, key
        user, token = super().authenticate_credentials(key)
        _cache().set(cache_key, user, TOKEN_CACHE_SECONDS)
        # A revocation that committed between the read above and the set has already
        # dropped the entry, and the set put it back: read again, now that it is cached.
        if not Token.objects.filter(key=key, user__is_active=True).exists():
            _cache().delete(cache_key)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, token.key


def token_cache_forget(*, token_key: str) -> None:
    """Drop the token's cached user now and again after the transaction commits.

    After commit too: a request that read the token before the change must not put it back for good.
    """
    cache_key = _cache_key(token_key)
    _cache().delete(cache_key)
    transaction.on_commit(lambda: _cache().delete(cache_key))


def user_tokens_forget(*, user_id: int) -> None:
    for key in Token.objects.filter(user_id=user_id).values_list("key", flat=True):
        token_cache_forget(token_key=key)


def _token_deleted(sender, instance, **kwargs):
    # Any sender: the admin site deletes tokens through DRF's proxy model.
    if isinstance(instance, Token):
        token_cache_forget(token_key=instance.key)


def _user_saved(sender, instance, created, update_fields, **kwargs):
    # Signing in saves last_login only, which changes no access.
    if not created and set(update_fields or ()) != {"last_login"}:
        user_tokens_forget(user_id=instance.pk)


def connect_signals() -> None:
    """Called once from an AppConfig.ready(), so that every process (web, worker, shell) invalidates."""
    post_delete.connect(_token_deleted, dispatch_uid="auth_cache_token_deleted")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="auth_cache_user_saved")
