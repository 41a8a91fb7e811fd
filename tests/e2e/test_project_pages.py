"""Creating a project with the skeleton editor, then running it from its settings page, in Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def watch_console(page) -> list[str]:
    """Errors the page logs: a script that failed, or a CSP refusal. Refused requests (the deliberate 409,
    the absent favicon) are the test's to check through what the page says."""
    errors = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def add_keypoint(page, name: str) -> None:
    page.get_by_label("New keypoint name").fill(name)
    page.get_by_label("New keypoint name").press("Enter")


def add_link(page, noun: str, first: str, second: str) -> None:
    page.get_by_label(f"New {noun}: first keypoint").select_option(label=first)
    page.get_by_label(f"New {noun}: second keypoint").select_option(label=second)
    page.get_by_role("button", name=f"Add {noun}").click()


def test_an_admin_creates_a_project_with_a_custom_skeleton_and_runs_it(live_url, browser_page, admin_user, make_user):
    from alweb.projects.models import Project
    from alweb.projects.services import membership_set

    make_user("ann")
    make_user("otto")
    page = browser_page()
    errors = watch_console(page)
    log_in(page, live_url, "ada")
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name", exact=True).fill("Hands")
    page.get_by_label("Start from").select_option(label="An empty skeleton")
    for name in ("wrist", "left_thumb", "right_thumb", "tip"):
        add_keypoint(page, name)
    # Choosing another start asks before it replaces the edits; declined, the edits stay.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_label("Start from").select_option("coco17")
    expect(page.get_by_label("Start from")).to_have_value("")
    expect(page.get_by_label("Name of keypoint 4")).to_have_value("tip")

    # A duplicate name is said next to the list as it is typed, and goes away once fixed.
    page.get_by_label("Name of keypoint 4").fill("wrist")
    keypoint_error = page.locator("#skeleton-keypoints-error")
    expect(keypoint_error).to_have_text("“wrist” is the name of keypoints 1 and 4: each name must be unique.")
    expect(page.get_by_label("Name of keypoint 4")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Name of keypoint 4").fill("palm")
    expect(keypoint_error).to_be_hidden()

    add_link(page, "edge", "wrist", "left_thumb")
    add_link(page, "edge", "wrist", "right_thumb")
    add_link(page, "edge", "wrist", "palm")
    add_link(page, "pair", "wrist", "palm")
    expect(page.locator("#skeleton-flip-pairs-error")).to_contain_text("wrist ↔ palm is not a left/right pair")
    add_link(page, "pair", "left_thumb", "right_thumb")
    expect(page.locator("#skeleton-flip-pairs-error")).to_be_hidden()

    # Removing a point says which edge it broke rather than dropping the edge.
    page.get_by_role("button", name="Remove palm").click()
    edge_error = page.locator("#skeleton-edges-error")
    expect(edge_error).to_have_text("The edge wrist – palm lost “palm”, which was removed: remove the edge.")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("#project-form-message")).to_contain_text("The project was not created")
    page.get_by_role("button", name="Remove edge wrist – palm").click()
    expect(edge_error).to_be_hidden()

    # The drawing follows the lists: three points, two edges, one dashed pair.
    drawing = page.locator("svg.skeleton-drawing")
    expect(drawing.locator("circle")).to_have_count(3)
    expect(drawing.locator("line.edge")).to_have_count(2)
    expect(drawing.locator("line.pair")).to_have_count(1)
    expect(drawing).to_have_attribute("aria-label", "Drawing of the skeleton: 3 keypoints, 2 edges, 1 left/right pair.")
    # Keyboard: Space moves the point and the focus stays on its button for the next press.
    page.get_by_role("button", name="Move right_thumb up").press("Space")
    expect(page.get_by_role("button", name="Move right_thumb up")).to_be_focused()
    expect(page.get_by_label("Name of keypoint 2")).to_have_value("right_thumb")

    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/projects/\d+/settings/$"))
    project = Project.objects.get(name="Hands")
    assert page.url == f"{live_url}/projects/{project.id}/settings/"
    assert project.keypoints == ["wrist", "right_thumb", "left_thumb"]
    assert project.edges == [[0, 2], [0, 1]] and project.flip_pairs == [[2, 1]]
    expect(page.locator("svg.skeleton-drawing circle")).to_have_count(3)

    page.get_by_label("Name", exact=True).fill("Hands, second take")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#general-message")).to_have_text("Saved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hands, second take")

    page.locator("#defaults-strategy").select_option("random")
    page.get_by_label("Budget", exact=True).fill("40")
    page.get_by_label("Epochs", exact=True).fill("0")
    page.get_by_role("button", name="Save cycle defaults").click()
    expect(page.locator("#defaults-epochs-error")).to_have_text("Enter a whole number from 1 to 500.")
    page.get_by_label("Epochs", exact=True).fill("7")
    page.get_by_role("button", name="Save cycle defaults").click()
    expect(page.locator("#defaults-message")).to_have_text("Saved.")

    page.get_by_label("Username (exact)").fill("ann")
    page.get_by_label("Username (exact)").press("Enter")
    expect(page.locator("#members-message")).to_have_text("ann was added as annotator.")
    expect(page.get_by_label("Role of ann")).to_have_value("annotator")
    # The only admin's controls are disabled, and the page says why.
    expect(page.get_by_role("button", name="Remove ada")).to_be_disabled()
    expect(page.get_by_label("Role of ada")).to_be_disabled()
    expect(page.locator("#members-last-admin")).to_contain_text("a project needs at least one admin")

    # With a second admin ada could leave; if that admin is demoted meanwhile, the server's 409 is said.
    page.get_by_label("Username (exact)").fill("otto")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("button", name="Remove ada")).to_be_enabled()
    membership_set(project=project, username="otto", role="annotator")
    page.get_by_role("button", name="Remove ada").click()
    expect(page.locator("#members-message")).to_have_text("ada was not removed. A project needs at least one admin.")
    expect(page.get_by_role("button", name="Remove ada")).to_be_disabled()

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_label("Budget", exact=True)).to_have_value("40")
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("7")
    expect(page.get_by_label("Strategy")).to_have_value("random")
    assert errors == []


def test_a_labelled_projects_skeleton_is_read_only_and_says_why(live_url, browser_page, project, admin_user):
    from alweb.annotations.models import Annotation
    from alweb.images.models import Image

    image = Image.objects.create(project=project, name="a.png", width=8, height=8, sha256="0" * 64)
    Annotation.objects.create(image=image, annotator=admin_user, instances=[])
    page = browser_page()
    log_in(page, live_url, "ada")
    page.goto(f"{live_url}/projects/{project.id}/settings/")
    expect(page.locator("#skeleton-fixed")).to_contain_text("every stored label lists its points in this order")
    expect(page.locator("svg.skeleton-drawing circle")).to_have_count(14)
    expect(page.get_by_role("button", name="Save skeleton")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove r-ankle")).to_have_count(0)


def test_annotators_and_outsiders_see_no_admin_pages(live_url, browser_page, project, outsider_user):
    annotator = browser_page()
    log_in(annotator, live_url, "ann")
    row = annotator.get_by_role("row", name="Runners")
    expect(row.get_by_role("link", name="Annotate")).to_be_visible()
    expect(row.get_by_role("link", name="Settings")).to_have_count(0)
    expect(row.get_by_role("link", name="Dashboard")).to_have_count(0)
    expect(annotator.get_by_role("link", name="New project")).to_have_count(0)
    assert annotator.goto(f"{live_url}/projects/{project.id}/settings/").status == 404
    assert annotator.goto(f"{live_url}/projects/new/").status == 403

    outsider = browser_page()
    log_in(outsider, live_url, "otto")
    for page_name in ("settings", "dashboard", "annotate"):
        assert outsider.goto(f"{live_url}/projects/{project.id}/{page_name}/").status == 404, page_name


NAME_PAIRS = [
    ("left_knee", "right_knee"),
    ("l_knee", "r_knee"),
    ("LKnee", "RKnee"),
    ("left hip", "right hip"),
    ("Left Hip", "right hip"),
    ("l-hip", "r-hip"),
    ("leftWrist", "rightWrist"),
    ("left_knee", "right_hip"),
    ("left_knee", "left_knee"),
    ("wrist", "thumb"),
    ("knee_l", "knee_l_r"),
    ("LR", "RL"),
]


def test_the_page_applies_the_servers_left_right_rule(live_url, browser_page, admin_user):
    from alweb.projects.skeleton_validation import are_mirror_names

    page = browser_page()
    log_in(page, live_url, "ada")
    page.goto(f"{live_url}/projects/new/")
    in_page = page.evaluate(
        """async (pairs) => {
            const rules = await import("/static/projects/skeleton_rules.js");
            return pairs.map(([a, b]) => rules.areMirrorNames(a, b));
        }""",
        NAME_PAIRS,
    )
    assert in_page == [are_mirror_names(a, b) for a, b in NAME_PAIRS]
