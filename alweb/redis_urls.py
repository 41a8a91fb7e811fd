"""Translate one REDIS_URL into the spellings Celery and channels-redis expect.

The embedded default is a private redis-server on a unix socket, given as
``unix:///abs/path/redis.sock``; Celery's redis transport spells that
``redis+socket:///abs/path/redis.sock``.
"""

from pathlib import Path


def embedded_redis_url(var_dir: Path) -> str:
    """URL of the embedded redis-server's socket under var_dir."""
    return f"unix://{(var_dir / 'redis' / 'redis.sock').resolve()}"


def celery_broker_url(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


def channel_layers(redis_url: str) -> dict:
    """CHANNEL_LAYERS on that Redis; channels-redis reads unix:// and redis:// URLs as they are."""
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}}
