"""Signing in and out in a real browser."""

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_annotator_signs_in_sees_projects_and_signs_out(live_url, browser_page, project):
    page = browser_page()
    log_in(page, live_url, "ann")
    row = page.get_by_role("row", name="Runners")
    assert row.get_by_role("link", name="Annotate").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_url}/accounts/login/")
