"""The demo accounts' passwords: generated once, kept in a private file under var/."""

import json
import os
import secrets
from pathlib import Path

from django.conf import settings

DEMO_USERNAMES = ("admin", "annotator")


def credentials_path() -> Path:
    """Where the demo passwords are kept: var/demo-credentials.json."""
    return Path(settings.VAR_DIR) / "demo-credentials.json"


def credentials_load_or_create(*, path: Path) -> dict[str, str]:
    """Return {username: password}, generating and storing (mode 0600) those not yet in path."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in DEMO_USERNAMES if not stored.get(name)]
    if missing:
        stored.update({name: secrets.token_urlsafe(12) for name in missing})
        _write_private(path=path, text=json.dumps(stored, indent=2) + "\n")
    os.chmod(path, 0o600)
    return {name: stored[name] for name in DEMO_USERNAMES}


def _write_private(*, path: Path, text: str) -> None:
    """Write through a 0600 temporary file and rename, so the secret is never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
