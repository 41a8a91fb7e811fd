"""Browser tests: Debian's Chromium driven by Playwright against a real ASGI server.

Nothing is downloaded: Playwright launches /usr/bin/chromium. Without it the tests are
skipped (`make test` says so; CI installs Chromium first).
"""

import os
from pathlib import Path

import pytest

from tests.live_processes import WebServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's sync API keeps an event loop running in the test thread; the tests' own
# database calls are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def web_server(django_db_setup, django_db_blocker, broker, tmp_path_factory):
    """The application served by uvicorn on the test database, for the whole session."""
    server = WebServerProcess(tmp_path_factory.mktemp("web"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def live_url(web_server, transactional_db) -> str:
    return web_server.url


@pytest.fixture
def browser_page(chromium):
    """A fresh browser context and page (own cookies), closed after the test."""
    contexts = []

    def open_page(*, width: int = 1280, height: int = 800, scale: float = 1):
        context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, base_url: str, username: str, password: str = "pw-for-tests") -> None:
    """Sign in through the login form, as a person does."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
