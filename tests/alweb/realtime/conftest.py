"""A real channel layer for the websocket tests: Redis at REDIS_URL, else the tests' embedded one."""

import uuid

import pytest


def layer_settings(host: str) -> dict:
    # A fresh prefix per test: nothing left in Redis by an earlier test or run can arrive.
    config = {"hosts": [host], "prefix": f"alweb-test-{uuid.uuid4().hex[:12]}:"}
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}}


@pytest.fixture
def redis_host(broker, settings):
    """The channels-redis host to test against: the Redis the settings use."""
    return settings.REDIS_URL


@pytest.fixture
def channel_layer(settings, redis_host):
    settings.CHANNEL_LAYERS = layer_settings(redis_host)
