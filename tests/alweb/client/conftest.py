"""A real server (pytest-django's live_server) and a token for the command-line client."""
import pytest


@pytest.fixture
def token(admin_user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=admin_user).key


@pytest.fixture
def run_client(live_server, token, capsys):
    """Run `python -m alweb.client` in this process against the live server; return (exit code, stdout, stderr)."""
    from alweb.client.__main__ import main

    def run(*args: str, url: str | None = None, with_token: bool = True):
        # Defaults first, so that a test's own options (given later) win.
        argv = [args[0], "--url", url or live_server.url, "--retries", "0"]
        if with_token:
            argv += ["--token", token]
        argv += args[1:]
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
