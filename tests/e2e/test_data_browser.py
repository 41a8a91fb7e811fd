"""The data browser in a real browser: filtering the grid, moving through it by keyboard, fixing a label,
restoring an earlier version; what an annotator and a non-member see."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.annotate_page import NEXT_FRAME, drag
from tests.e2e.annotate_queue import pool_images, predicted_row
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def labelled(project, admin_user, annotator_user):
    """Four 128x128 pool images: the first labelled by ann, the second by ada (versions 1 and 2), two unlabelled."""
    from alweb.annotations.services import annotation_save

    images = pool_images(project=project, user=admin_user, count=4)
    row = [[x, y, 2] for x, y, _ in predicted_row(width=128, height=128)]
    annotation_save(image=images[0], user=annotator_user, keypoints=row, if_match=None)
    first, _ = annotation_save(image=images[1], user=admin_user, keypoints=row, if_match=None)
    lower = [[x, y + 10, v] for x, y, v in row]
    annotation_save(image=images[1], user=admin_user, keypoints=lower, if_match=first.etag)
    return images


def shown_names(page) -> list[str]:
    return page.locator("#image-grid img").evaluate_all("(images) => images.map((image) => image.alt)")


def focused_image(page) -> str | None:
    return page.evaluate("() => document.activeElement.dataset.image ?? null")


def on_surface(page, image, x: float, y: float) -> tuple[float, float]:
    """Where image point (x, y) is on the page while the whole image is shown, centred."""
    box = page.locator("#surface").bounding_box()
    scale = min(box["width"] / image.width, box["height"] / image.height)
    return (
        box["x"] + (box["width"] - image.width * scale) / 2 + x * scale,
        box["y"] + (box["height"] - image.height * scale) / 2 + y * scale,
    )


def label_of(client, image_id: int) -> dict:
    return client.get(f"/api/v1/images/{image_id}/annotation/").json()


def test_an_admin_filters_walks_the_grid_fixes_a_label_and_restores_the_first_version(
    browser_page, live_url, project, labelled, admin_client
):
    page = browser_page()
    log_in(page, live_url, "ada")
    page.goto(f"{live_url}/projects/{project.id}/images/")
    expect(page.locator("#image-grid img")).to_have_count(4)

    page.get_by_label("State").select_option("labelled")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#image-grid img")).to_have_count(2)
    assert shown_names(page) == [labelled[0].name, labelled[1].name]
    page.get_by_label("Labelled by").select_option("ann")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#image-grid img")).to_have_count(1)
    assert shown_names(page) == [labelled[0].name]
    assert "state=labelled" in page.url and "annotator=ann" in page.url
    expect(page.locator("#image-grid")).to_contain_text("ann")

    # The arrow keys move one tab stop through the grid; Enter opens the focused image.
    page.goto(f"{live_url}/projects/{project.id}/images/")
    expect(page.locator("#image-grid img")).to_have_count(4)
    page.locator("#image-grid a").first.focus()
    page.keyboard.press("ArrowRight")
    assert focused_image(page) == str(labelled[1].id)
    page.keyboard.press("End")
    assert focused_image(page) == str(labelled[3].id)
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert page.locator("#image-grid a[tabindex='0']").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/projects/{project.id}/images/{labelled[1].id}/"))
    expect(page.locator("#fact-image")).to_have_text(f"#{labelled[1].id} (128×128)")
    page.evaluate(NEXT_FRAME)

    # Version 2 holds the row 10 pixels lower; moving its second point saves version 3.
    image = labelled[1]
    version_2 = label_of(admin_client, image.id)
    x, y, _ = version_2["keypoints"][1]
    drag(page, on_surface(page, image, x, y), on_surface(page, image, 40, 30))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#message")).to_have_text("Saved version 3.")
    moved = label_of(admin_client, image.id)
    assert moved["version"] == 3 and abs(moved["keypoints"][1][0] - 40) <= 1 and abs(moved["keypoints"][1][1] - 30) <= 1

    history = page.get_by_role("list", name="History")
    expect(history.get_by_role("listitem")).to_have_count(3)
    expect(history.get_by_role("listitem").first).to_contain_text("Version 3 (current) by ada")
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.locator("#message")).to_have_text("Restored version 1 as version 4.")
    expect(history.get_by_role("listitem")).to_have_count(4)
    versions = admin_client.get(f"/api/v1/images/{image.id}/annotation/history/").json()["results"]
    assert versions[0]["version"] == 4 and versions[0]["instances"] == versions[-1]["instances"]
    assert label_of(admin_client, image.id)["keypoints"] == versions[-1]["keypoints"]


def test_an_annotator_sees_the_history_without_restore_and_is_told_they_cannot_save(
    browser_page, live_url, project, labelled
):
    page = browser_page()
    log_in(page, live_url, "ann")
    page.goto(f"{live_url}/projects/{project.id}/images/{labelled[1].id}/")
    history = page.get_by_role("list", name="History")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("button", name=re.compile("^View"))).to_have_count(2)
    expect(page.get_by_role("button", name=re.compile("^Restore"))).to_have_count(0)
    expect(page.locator("#refusal")).to_contain_text("admins")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()


def test_a_non_member_gets_404_on_both_pages(browser_page, live_url, project, labelled, outsider_user):
    page = browser_page()
    log_in(page, live_url, "otto")
    assert page.goto(f"{live_url}/projects/{project.id}/images/").status == 404
    assert page.goto(f"{live_url}/projects/{project.id}/images/{labelled[0].id}/").status == 404
