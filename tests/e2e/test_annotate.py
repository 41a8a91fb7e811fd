"""The annotation page in a real browser: placing, dragging, saving, skipping, conflicts, precision, speed."""

import math
import re
import statistics

import pytest
from playwright.sync_api import expect

from tests.e2e.annotate_page import (
    CLICK_TO_DRAW,
    NEXT_FRAME,
    SUBMIT_TO_NEXT_IMAGE,
    Editors,
    colours_at,
    drag,
    finish_timing,
    fitted_position,
    marker_positions,
    shown_image,
    start_timing,
    wait_for_image,
)
from tests.e2e.annotate_queue import MARKER_SIZE, fill_queue, marker_image, pool_images, predicted_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editor(browser_page, live_url):
    editors = Editors(browser_page, live_url)
    yield editors
    editors.close()


def stored_label(client, image_id: int) -> dict:
    response = client.get(f"/api/v1/images/{image_id}/annotation/")
    assert response.status_code == 200, response.content
    return response.json()


def keypoint_state(page, name: str):
    return page.get_by_role("list", name="Keypoints").get_by_role("button", name=name, exact=False).first


def wait_until_saved(page, image_id: int) -> None:
    expect(page.locator("#message")).to_have_text(f"Saved image #{image_id}.")


def test_clicking_every_keypoint_and_submitting_stores_them_and_shows_the_next_image(
    editor, project, admin_user, annotator_client
):
    images = pool_images(project=project, user=admin_user, count=5)
    fill_queue(project=project, images=images)
    page = editor.open(project)
    first = images[0]
    expect(page.locator("#fact-image")).to_have_text(f"#{first.id} (128×128)")
    expect(page.locator("#fact-rank")).to_have_text("1")
    expect(page.locator("#fact-loss")).to_have_text("top 2 % of the pool")
    expect(page.locator("#fact-left")).to_have_text("5")
    expect(keypoint_state(page, "l-hip")).to_contain_text("low confidence")

    targets = [(10.0 + 7.5 * k, 15.0 + 6.0 * k) for k in range(14)]
    click_ms = []
    for k, (x, y) in enumerate(targets):
        expect(page.locator("#current-keypoint")).to_have_text(project.keypoints[k])
        position = fitted_position(page, first, x, y)
        probe = start_timing(page, CLICK_TO_DRAW, list(position))
        page.mouse.click(*position)
        click_ms.append(finish_timing(page, probe))
    page.screenshot(path="/tmp/annotate-clicked.png")

    # The annotator looks at each image for a moment, in which the next one is prefetched:
    # each Submit starts the prefetch of the image after the next, waited for here.
    submit_ms, shown = [], first.id
    for _ in range(3):
        probe = start_timing(page, SUBMIT_TO_NEXT_IMAGE)
        with page.expect_response(lambda response: response.url.endswith("/file")):
            page.keyboard.press("Enter")
            submit_ms.append(finish_timing(page, probe))
            shown = wait_for_image(page, other_than=shown)
        page.evaluate(NEXT_FRAME)
    # Straight away after a Submit the next image is still on its way: measured, not promised.
    probe = start_timing(page, SUBMIT_TO_NEXT_IMAGE)
    page.keyboard.press("Enter")
    back_to_back_ms = finish_timing(page, probe)
    wait_for_image(page, other_than=shown)
    wait_until_saved(page, shown)
    page.screenshot(path="/tmp/annotate-next.png")

    stored = stored_label(annotator_client, first.id)
    for (x, y), (sx, sy, v) in zip(targets, stored["keypoints"]):
        assert abs(sx - x) <= 1 and abs(sy - y) <= 1 and v == 2
    # An image submitted as shown keeps the model's points.
    assert stored_label(annotator_client, images[1].id)["keypoints"][0] == [round(128 / 15, 2), 128 * 0.55, 2]
    print(
        f"\nclick -> point drawn: median {statistics.median(click_ms):.1f} ms, max {max(click_ms):.1f} ms "
        f"over {len(click_ms)} clicks (one frame: 16.7 ms)"
        f"\nSubmit -> next image drawn, next image prefetched: {', '.join(f'{ms:.0f}' for ms in submit_ms)} ms "
        f"(target <= 150 ms); Submit at once after the previous one: {back_to_back_ms:.0f} ms"
    )
    assert max(submit_ms) <= 150
    assert statistics.median(click_ms) <= 2 * 16.7


MARKERS = [(100, 80), (300, 400), (350, 372), (520, 150)]


def marker_centre(index: int) -> tuple[float, float]:
    x, y = MARKERS[index]
    return x + MARKER_SIZE / 2, y + MARKER_SIZE / 2


def nearest(points, target):
    return min(points, key=lambda point: math.dist(point, target))


@pytest.mark.parametrize("width, height, scale", [(1280, 800, 1), (820, 640, 2)])
def test_a_click_lands_within_one_image_pixel_at_any_zoom_pan_window_size_and_pixel_ratio(
    editor, project, annotator_client, width, height, scale
):
    image = marker_image(project=project, size=(640, 480), markers=MARKERS)
    fill_queue(project=project, images=[image], predictions=[predicted_row(width=640, height=480, y=250)])
    page = editor.open(project, width=width, height=height, scale=scale)
    # Where the image's own pixels are on screen, read from a screenshot: markers sorted by x.
    found = marker_positions(page)
    assert len(found) == 4
    page.mouse.click(*found[0])
    page.mouse.click(*found[3])

    page.mouse.move(*found[1])
    for _ in range(3):
        page.mouse.wheel(0, -240)
    page.evaluate(NEXT_FRAME)
    zoomed = marker_positions(page)
    under_pointer = nearest(zoomed, found[1])
    assert math.dist(under_pointer, found[1]) < 1, "zooming keeps the point under the pointer"
    neighbour = nearest([point for point in zoomed if point != under_pointer], under_pointer)
    page.mouse.click(*under_pointer)

    box = page.get_by_label("Image to annotate").bounding_box()
    grab = (box["x"] + 30, box["y"] + 30)
    page.mouse.move(*grab)
    page.mouse.down()
    page.mouse.move(grab[0] + 60, grab[1] - 40, steps=4)
    page.mouse.up()
    panned = nearest(marker_positions(page), (neighbour[0] + 60, neighbour[1] - 40))
    assert math.dist(panned, (neighbour[0] + 60, neighbour[1] - 40)) < 1, "panning moves the image with the pointer"
    page.mouse.click(*panned)

    page.keyboard.press("Enter")
    wait_until_saved(page, image.id)
    stored = stored_label(annotator_client, image.id)["keypoints"]
    for keypoint, marker in enumerate([0, 3, 1, 2]):
        x, y = marker_centre(marker)
        assert abs(stored[keypoint][0] - x) <= 1 and abs(stored[keypoint][1] - y) <= 1, (keypoint, stored[keypoint])


def test_drag_visibility_swap_nudge_undo_and_redo(editor, project, admin_user, annotator_client):
    images = pool_images(project=project, user=admin_user, count=2)
    fill_queue(project=project, images=images)
    image, predicted = images[0], predicted_row(width=128, height=128)
    page = editor.open(project)
    for name in ("Submit", "Skip", "Undo", "Redo"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("application", name="Image to annotate")).to_be_visible()
    expect(page.locator("#shortcut-list")).to_contain_text("Ctrl+Z")

    # Drag the pre-annotated r-knee; the current keypoint stays r-ankle.
    page.mouse.move(*fitted_position(page, image, *predicted[1][:2]))
    page.mouse.down()
    page.mouse.move(*fitted_position(page, image, 40, 30), steps=5)
    page.mouse.up()
    expect(page.locator("#current-keypoint")).to_have_text("r-ankle")

    page.keyboard.press("n")
    page.keyboard.press("v")
    expect(keypoint_state(page, "r-knee")).to_contain_text("occluded")
    page.keyboard.press("v")
    expect(keypoint_state(page, "r-knee")).to_contain_text("not labelled")
    page.keyboard.press("Control+z")
    expect(keypoint_state(page, "r-knee")).to_contain_text("occluded")
    page.keyboard.press("Control+y")
    expect(keypoint_state(page, "r-knee")).to_contain_text("not labelled")
    page.get_by_role("button", name="Undo").click()
    expect(keypoint_state(page, "r-knee")).to_contain_text("occluded")

    # r-ankle and l-ankle, a flip pair, trade places; then r-ankle moves one pixel right.
    page.keyboard.press("p")
    page.keyboard.press("f")
    page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Undo").click()
    page.get_by_role("button", name="Redo").click()
    page.keyboard.press("Enter")
    wait_for_image(page, other_than=image.id)
    wait_until_saved(page, image.id)

    stored = stored_label(annotator_client, image.id)["keypoints"]
    assert stored[1][2] == 1 and abs(stored[1][0] - 40) <= 1 and abs(stored[1][1] - 30) <= 1
    assert stored[0] == [predicted[5][0] + 1, predicted[5][1], 2]
    assert stored[5] == [predicted[0][0], predicted[0][1], 2]


def test_skip_gives_the_image_back_and_asks_twice_when_it_was_changed(editor, project, admin_user, client_for):
    images = pool_images(project=project, user=admin_user, count=3)
    fill_queue(project=project, images=images)
    page = editor.open(project)
    page.get_by_role("button", name="Skip").click()
    assert wait_for_image(page, other_than=images[0].id) == images[1].id
    # Skipped, the image goes to someone else.
    assert client_for(admin_user).post(f"/api/v1/projects/{project.id}/queue/next/").json()["image"] == images[0].id

    page.mouse.click(*fitted_position(page, images[1], 64, 64))
    page.keyboard.press("s")
    expect(page.locator("#message")).to_contain_text("Skip again")
    assert shown_image(page) == images[1].id
    page.keyboard.press("s")
    assert wait_for_image(page, other_than=images[1].id) == images[2].id
    assert not page.evaluate("Object.keys(localStorage).filter((key) => key.includes('draft'))")
    page.get_by_role("button", name="Skip").click()
    expect(page.locator("#stage-note")).to_contain_text("No images are waiting in this queue.")


def test_two_annotators_never_see_the_same_image(editor, project, admin_user):
    # Each annotator holds the image on screen and the next one, leased ahead, so the two take up to 8 of
    # these between them: with fewer, whoever saves first would lease the other's third image, rightly.
    fill_queue(project=project, images=pool_images(project=project, user=admin_user, count=10))
    pages = {name: editor.open(project, username=name) for name in ("ann", "ada")}
    seen = {name: [shown_image(page)] for name, page in pages.items()}
    for _ in range(2):
        for name, page in pages.items():
            page.keyboard.press("Enter")
            seen[name].append(wait_for_image(page, other_than=seen[name][-1]))
    assert len(set(seen["ann"]) | set(seen["ada"])) == 6, seen


def test_a_stale_edit_shows_the_conflict_and_can_take_theirs_or_overwrite(
    editor, project, admin_user, client_for, annotator_client
):
    (image,) = pool_images(project=project, user=admin_user, count=1)
    fill_queue(project=project, images=[image])
    page = editor.open(project)
    admin = client_for(admin_user)
    url = f"/api/v1/images/{image.id}/annotation/"
    theirs = [[5.0 + i, 6.0, 2] for i in range(14)]
    assert admin.put(url, {"keypoints": theirs}, format="json").status_code == 201

    page.mouse.click(*fitted_position(page, image, 50, 60))
    page.keyboard.press("Enter")
    conflict = page.get_by_role("alert")
    expect(conflict).to_contain_text("Someone else saved this image since you opened it")
    conflict.get_by_role("button", name="Load their label").click()
    expect(conflict).to_be_hidden()

    # They save again while the annotator fixes r-ankle on top of their first version.
    later = [[7.0 + i, 8.0, 2] for i in range(14)]
    etag = admin.get(url)["ETag"]
    assert admin.put(url, {"keypoints": later}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    page.keyboard.press("p")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(conflict).to_contain_text("Someone else saved this image since you opened it")
    conflict.get_by_role("button", name="Overwrite with mine").click()
    wait_until_saved(page, image.id)

    stored = stored_label(annotator_client, image.id)
    assert stored["version"] == 3
    assert stored["keypoints"] == [[6.0, 6.0, 2]] + theirs[1:]


def test_a_failed_save_brings_the_image_back_and_its_draft_outlives_a_reload(
    editor, project, admin_user, annotator_client
):
    images = pool_images(project=project, user=admin_user, count=3)
    fill_queue(project=project, images=images)
    first = images[0]
    page = editor.open(project)
    page.mouse.click(*fitted_position(page, first, 30, 40))
    saves = re.compile(r".*/annotation/$")
    page.route(saves, lambda route: route.abort("connectionrefused"))
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_contain_text(f"Image #{first.id} was not saved")
    assert shown_image(page) == first.id

    page.unroute(saves)
    page.reload()
    assert wait_for_image(page) == first.id
    expect(page.locator("#message")).to_contain_text("restored")
    page.keyboard.press("Enter")
    wait_until_saved(page, first.id)
    x, y, v = stored_label(annotator_client, first.id)["keypoints"][0]
    assert abs(x - 30) <= 1 and abs(y - 40) <= 1 and v == 2
    assert not page.evaluate("Object.keys(localStorage).filter((key) => key.includes('draft'))")


def test_a_lost_lease_is_told_and_the_work_can_still_be_saved(
    editor, project, admin_user, client_for, annotator_client
):
    from django.utils import timezone

    from alweb.queue.models import QueueEntry

    (image,) = pool_images(project=project, user=admin_user, count=1)
    fill_queue(project=project, images=[image])
    page = editor.open(project)
    page.mouse.click(*fitted_position(page, image, 20, 20))
    editor.wait_until_quiet(page)
    QueueEntry.objects.filter(image=image).update(lease_expires_at=timezone.now())
    assert client_for(admin_user).post(f"/api/v1/projects/{project.id}/queue/next/").json()["image"] == image.id
    # Coming back to the tab checks the lease at once.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#message")).to_contain_text("another annotator took the image")
    page.keyboard.press("Enter")
    wait_until_saved(page, image.id)
    assert stored_label(annotator_client, image.id)["keypoints"][0][:2] == pytest.approx([20, 20], abs=1)


def test_html_in_project_and_keypoint_names_renders_inert(editor, admin_user, annotator_user):
    from alweb.projects.services import membership_set, project_create

    name = "<script>alert('project')</script>"
    keypoint = "<img src=x onerror=alert('keypoint')>"
    project = project_create(user=admin_user, name=name, keypoints=[keypoint, "tail"], edges=[[0, 1]], flip_pairs=[])
    membership_set(project=project, username=annotator_user.username, role="annotator")
    (image,) = pool_images(project=project, user=admin_user, count=1)
    fill_queue(project=project, images=[image], predictions=[[[30, 30, 0.9], [90, 90, 0.3]]])
    dialogs = []
    page = editor.open(project)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#current-keypoint")).to_have_text(keypoint)
    expect(page.get_by_role("list", name="Keypoints")).to_contain_text(keypoint)
    assert page.locator("main img, main script:not([type='application/json'])").count() == 0
    page.keyboard.press("n")
    page.keyboard.press("Enter")
    wait_until_saved(page, image.id)
    assert dialogs == []


# Two people side by side on a 128x128 image: box corners (x0, y0, x1, y1) in image pixels.
DRAWN_BOXES = [(8, 10, 60, 120), (68, 6, 122, 118)]


def clicks_in(box) -> list[tuple[float, float]]:
    """Where the 14 keypoints of the person in a box are clicked: a diagonal inside it."""
    x0, y0 = box[:2]
    return [(x0 + 4 + 3 * k, y0 + 4 + 7.5 * k) for k in range(14)]


def test_drawing_two_people_and_clicking_their_points_stores_both_and_no_people_stores_none(
    editor, project, admin_user, annotator_client
):
    images = pool_images(project=project, user=admin_user, count=2)
    fill_queue(project=project, images=images)
    first = images[0]
    page = editor.open(project)
    person_line = page.locator("#person-line")
    expect(person_line).to_have_text("Person 1 of 1")
    # The model's one guess covering the image goes; two people are drawn instead.
    page.keyboard.press("Delete")
    expect(person_line).to_contain_text("No people marked")
    draw_box = page.get_by_role("button", name="Draw box")
    for number, box in enumerate(DRAWN_BOXES, start=1):
        if number == 1:
            page.keyboard.press("b")
        else:
            draw_box.click()
        expect(draw_box).to_have_attribute("aria-pressed", "true")
        drag(page, fitted_position(page, first, *box[:2]), fitted_position(page, first, *box[2:]))
        expect(draw_box).to_have_attribute("aria-pressed", "false")
        expect(person_line).to_have_text(f"Person {number} of {number} — drawn by you")
        # No model is trained yet: the person starts in the project's usual pose.
        expect(page.locator("#message")).to_contain_text("No trained model yet")
        expect(keypoint_state(page, "r-ankle")).to_contain_text("guessed")
        for k, (x, y) in enumerate(clicks_in(box)):
            expect(page.locator("#current-keypoint")).to_have_text(project.keypoints[k])
            page.mouse.click(*fitted_position(page, first, x, y))
    expect(page.get_by_role("list", name="People").get_by_role("button")).to_have_count(2)
    page.screenshot(path="/tmp/annotate-two-people.png")

    # A reload finds both people in the draft.
    page.reload()
    assert wait_for_image(page) == first.id
    expect(page.locator("#message")).to_contain_text("restored")
    expect(person_line).to_have_text("Person 2 of 2 — drawn by you")
    page.keyboard.press("Enter")
    second = wait_for_image(page, other_than=first.id)
    wait_until_saved(page, first.id)

    stored = stored_label(annotator_client, first.id)
    assert len(stored["instances"]) == 2 and stored["keypoints"] is None
    for instance, box in zip(stored["instances"], DRAWN_BOXES, strict=True):
        x0, y0, x1, y1 = box
        assert instance["bbox"] == pytest.approx([x0, y0, x1 - x0, y1 - y0], abs=1)
        for (x, y), (sx, sy, v) in zip(clicks_in(box), instance["keypoints"], strict=True):
            assert abs(sx - x) <= 1 and abs(sy - y) <= 1 and v == 2, (box, instance["keypoints"])

    assert second == images[1].id
    page.get_by_role("button", name="No people in this image").click()
    expect(page.locator("#message")).to_have_text(f"Saved image #{second}: no people.")
    expect(page.locator("#stage-note")).to_contain_text("No images are waiting in this queue.")
    assert stored_label(annotator_client, second)["instances"] == []


# Three people on a 200x150 grey image, highest predicted loss first, as the queue sends them.
PEOPLE_BOXES = [[10, 10, 50, 130], [75, 10, 50, 130], [140, 10, 50, 130]]
PEOPLE_LOSSES = [3.0, 2.0, 1.0]


def column_in(box) -> list[list[float]]:
    """14 points [x, y, confidence] down the middle of a box."""
    x, y, w, h = box
    return [[x + w / 2, round(y + 5 + k * (h - 10) / 13, 2), 0.9] for k in range(14)]


def test_every_person_is_drawn_the_highest_loss_one_first_and_only_the_selected_one_is_edited(
    editor, project, annotator_client
):
    image = marker_image(project=project, size=(200, 150), markers=[], name="people.png")
    people = [
        {"bbox": box, "keypoints": column_in(box), "predicted_loss": loss}
        for box, loss in zip(PEOPLE_BOXES, PEOPLE_LOSSES, strict=True)
    ]
    fill_queue(project=project, images=[image], instances=[people])
    page = editor.open(project)
    person_line = page.locator("#person-line")
    expect(person_line).to_have_text("Person 1 of 3 — highest predicted loss")
    buttons = page.get_by_role("list", name="People").get_by_role("button")
    expect(buttons).to_have_count(3)
    expect(buttons.first).to_have_attribute("aria-pressed", "true")

    # Each person's points and box are on screen, each person in a colour of their own.
    def at(x, y):
        return fitted_position(page, image, x, y)

    neck = [at(*person["keypoints"][12][:2]) for person in people]
    left_edges = [at(x, y + h / 2) for x, y, w, h in PEOPLE_BOXES]
    grey = (120, 124, 130)
    colours = colours_at(page, neck + left_edges)
    page.screenshot(path="/tmp/annotate-three-people.png")
    for colour in colours:
        assert max(abs(a - b) for a, b in zip(colour, grey)) > 30, colours
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        assert math.dist(colours[i], colours[j]) > 40, colours

    # A click on the third person's point selects them; then their point can be dragged.
    page.mouse.click(*at(*people[2]["keypoints"][0][:2]))
    expect(person_line).to_have_text("Person 3 of 3 — 3rd highest predicted loss")
    drag(page, at(*people[2]["keypoints"][0][:2]), at(170, 100))
    # The first person's points stay where they are: a drag on them pans the image.
    drag(page, at(*people[0]["keypoints"][5][:2]), at(40, 60))
    expect(person_line).to_have_text("Person 3 of 3 — 3rd highest predicted loss")
    page.keyboard.press("0")

    page.keyboard.press("[")
    expect(person_line).to_have_text("Person 2 of 3 — 2nd highest predicted loss")
    page.keyboard.press("Delete")
    expect(person_line).to_have_text("Person 2 of 2 — 2nd highest predicted loss")
    page.keyboard.press("Control+z")
    expect(person_line).to_have_text("Person 2 of 3 — 2nd highest predicted loss")
    page.get_by_role("button", name="Delete person").click()
    expect(buttons).to_have_count(2)

    # With a trained model, a drawn box comes filled with the model's points (answered here by the test).
    predicted = [[67.5, 25 + 8 * k, 0.3] for k in range(14)]
    asked = []

    def predict(route):
        asked.append(route.request.post_data_json)
        route.fulfill(
            json={"bbox": asked[-1]["bbox"], "keypoints": predicted, "predicted_loss": 0.5, "model_version": 1}
        )

    page.route("**/predict/", predict)
    page.keyboard.press("b")
    drag(page, at(62, 20), at(73, 140))
    expect(page.locator("#message")).to_contain_text("The model placed person 3's points")
    expect(keypoint_state(page, "r-ankle")).to_contain_text("low confidence")
    assert asked[0]["bbox"] == pytest.approx([62, 20, 11, 120], abs=1)
    page.keyboard.press("Enter")
    wait_until_saved(page, image.id)

    stored = stored_label(annotator_client, image.id)["instances"]
    assert [instance["bbox"] for instance in stored[:2]] == [PEOPLE_BOXES[0], PEOPLE_BOXES[2]]
    assert stored[0]["keypoints"] == [[x, y, 2] for x, y, _ in people[0]["keypoints"]]
    assert stored[1]["keypoints"][0][:2] == pytest.approx([170, 100], abs=1)
    assert stored[1]["keypoints"][1:] == [[x, y, 2] for x, y, _ in people[2]["keypoints"][1:]]
    assert stored[2]["bbox"] == pytest.approx([62, 20, 11, 120], abs=1)
    assert stored[2]["keypoints"] == [[x, y, 2] for x, y, _ in predicted]


def test_their_crowd_region_is_drawn_kept_out_of_reach_and_saved_back_unchanged(
    editor, project, admin_user, client_for, annotator_client
):
    (image,) = pool_images(project=project, user=admin_user, count=1)
    fill_queue(project=project, images=[image])
    page = editor.open(project)
    crowd = {
        "bbox": [70.0, 60.0, 50.0, 40.0],
        "keypoints": [[0, 0, 0]] * 14,
        "iscrowd": 1,
        "segmentation": [[70, 60, 120, 60, 120, 100, 70, 100]],
    }
    theirs = {"bbox": [5.0, 5.0, 60.0, 110.0], "keypoints": [[10.0 + i, 20.0, 2] for i in range(14)]}
    response = client_for(admin_user).put(
        f"/api/v1/images/{image.id}/annotation/", {"instances": [crowd, theirs]}, format="json"
    )
    assert response.status_code == 201, response.content

    page.keyboard.press("Enter")
    conflict = page.get_by_role("alert")
    conflict.get_by_role("button", name="Load their label").click()
    expect(page.locator("#person-line")).to_have_text("Person 1 of 1 (+1 crowd region, kept as imported)")
    # A click inside the crowd region places their person's current keypoint; it selects nothing.
    page.mouse.click(*fitted_position(page, image, 95, 80))
    expect(page.locator("#person-line")).to_have_text("Person 1 of 1 (+1 crowd region, kept as imported)")
    page.keyboard.press("]")
    expect(page.locator("#person-line")).to_have_text("Person 1 of 1 (+1 crowd region, kept as imported)")
    page.keyboard.press("Enter")
    wait_until_saved(page, image.id)

    stored = stored_label(annotator_client, image.id)["instances"]
    assert stored[0] == crowd
    assert stored[1]["bbox"] == theirs["bbox"]
    assert stored[1]["keypoints"][0][:2] == pytest.approx([95, 80], abs=1)
    assert stored[1]["keypoints"][1:] == theirs["keypoints"][1:]
