"""Test overrides: fast hashing, private folders, short cycle leases, the real services when set.

Worker processes started by the tests import this module too, with MEDIA_ROOT and
DATABASE_URL passed down, so that they see the same files and the same test database.
"""

import os
import tempfile
from pathlib import Path

# Before base reads it: a test run with DATABASE_URL or REDIS_URL set is not a deployment.
os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")

from alweb.redis_urls import celery_broker_url, channel_layers, embedded_redis_url
from alweb.settings.base import *  # noqa: F403
from alweb.settings.base import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp(prefix="alweb-test-media-"))
ML_WORK_DIR = Path(os.environ.get("ML_WORK_DIR") or tempfile.mkdtemp(prefix="alweb-test-ml-"))
# WhiteNoise warns about a missing static root; tests serve no collected files, so the
# browser tests' web server serves the pages' scripts and styles from their source folders.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="alweb-test-static-"))
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"] == "alweb.sqlite_backend":
    # A file, not memory: worker processes must open the same test database. One per test
    # run, so that two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

# Without REDIS_URL the tests start their own embedded redis-server, apart from a demo's.
TEST_VAR_DIR = VAR_DIR / "test"
if not os.environ.get("REDIS_URL"):
    REDIS_URL = embedded_redis_url(TEST_VAR_DIR)
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = celery_broker_url(REDIS_URL)
    CHANNEL_LAYERS = channel_layers(REDIS_URL)

# Short leases so that recovery from a killed worker takes seconds, not minutes.
CYCLE_LEASE_SECONDS = int(os.environ.get("CYCLE_LEASE_SECONDS", 4))
CYCLE_HEARTBEAT_SECONDS = float(os.environ.get("CYCLE_HEARTBEAT_SECONDS", 1))
CYCLE_REDISPATCH_SECONDS = int(os.environ.get("CYCLE_REDISPATCH_SECONDS", 6))
CYCLE_RECOVER_EVERY_S = 2.0
HEALTH_BEAT_STALE_S = 4 * CYCLE_RECOVER_EVERY_S
CELERY_BEAT_SCHEDULE = {"recover-cycles": {"task": "cycles.cycles_recover", "schedule": CYCLE_RECOVER_EVERY_S}}
CYCLE_MIN_LABELLED = 4

# Each test process counts throttled requests in its own memory; no limit unless a test sets one
# (tests of the limits set settings.THROTTLE_RATES and clear the cache).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
THROTTLE_RATES = {"login": "", "login_ip": "", "predict": "", "upload": ""}
