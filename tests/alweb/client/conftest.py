"""A real server (pytest-django's live_server) and a token for the command-line client."""

import gc
import threading

import pytest

SERVER_THREAD_WAIT_S = 10


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

    yield run
    # The server answers each connection in a thread that holds a database connection until the
    # client hangs up; wait for them, or the test database could not be dropped at the end. A
    # command's sockets can outlive it in reference cycles (an error's traceback holds its
    # response), which a real run ends by exiting: collect them.
    gc.collect()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(SERVER_THREAD_WAIT_S)
