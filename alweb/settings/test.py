"""Test overrides: fast hashing, a private media folder, and the real services when set."""
import os
import tempfile
from pathlib import Path

from alweb.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp(prefix="alweb-test-media-"))
# WhiteNoise warns about a missing static root; tests serve no collected files.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="alweb-test-static-"))
