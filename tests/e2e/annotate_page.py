"""Driving the annotation page: open it, find where image pixels are on screen, time what it draws."""

import io
import math
import re

import numpy as np
from PIL import Image as PILImage
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import log_in

NEXT_FRAME = "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))"

# {done}: resolves with the milliseconds from the next pointerup on the surface to the first
# frame whose pixels at the click differ from before. Its frame callback is queued after the
# editor's own, so it reads the canvas right after the editor drew.
CLICK_TO_DRAW = """
([x, y]) => ({ done: new Promise((resolve) => {
  const canvas = document.getElementById('surface');
  const context = canvas.getContext('2d');
  const box = canvas.getBoundingClientRect();
  const px = Math.floor((x - box.left) * canvas.width / box.width);
  const py = Math.floor((y - box.top) * canvas.height / box.height);
  const pixel = () => Array.from(context.getImageData(px, py, 1, 1).data).join();
  const before = pixel();
  canvas.addEventListener('pointerup', (event) => {
    const poll = () => {
      if (pixel() !== before) resolve(performance.now() - event.timeStamp);
      else requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }, { once: true });
}) })
"""

# {done}: resolves with the milliseconds from the next key press to the frame after the page
# shows another image: the editor asks for that frame before the image's number changes.
SUBMIT_TO_NEXT_IMAGE = """
() => ({ done: new Promise((resolve) => {
  const fact = document.getElementById('fact-image');
  const before = fact.textContent;
  let start = null;
  document.addEventListener('keydown', (event) => { start = event.timeStamp; }, { capture: true, once: true });
  new MutationObserver((records, observer) => {
    if (fact.textContent === before) return;
    observer.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - start));
  }).observe(fact, { childList: true, characterData: true, subtree: true });
}) })
"""


def start_timing(page, script: str, *args):
    """Install a timing probe before the action it times; finish_timing(probe) waits for its figure."""
    return page.evaluate_handle(script, *args)


def finish_timing(page, probe) -> float:
    return page.evaluate("(probe) => probe.done", probe)


class Editors:
    """Pages on the annotation page, each with its requests in flight counted.

    A test waits until every page is quiet before it ends, so that the server is not still
    working for a page while the test database is emptied for the next test.
    """

    def __init__(self, browser_page, base_url: str):
        self.browser_page, self.base_url = browser_page, base_url
        self.pending: dict = {}

    def open(self, project, username: str = "ann", **viewport):
        """A page signed in as the user on the project's editor, once the first image is drawn."""
        page = self.browser_page(**viewport)
        pending = self.pending[page] = set()
        page.on("request", lambda request: pending.add(request))
        page.on("requestfinished", lambda request: pending.discard(request))
        page.on("requestfailed", lambda request: pending.discard(request))
        log_in(page, self.base_url, username)
        page.goto(f"{self.base_url}/projects/{project.id}/annotate/")
        wait_for_image(page)
        return page

    def wait_until_quiet(self, page, *, quiet_ms: int = 300, timeout_ms: int = 15000) -> None:
        quiet = waited = 0
        while quiet < quiet_ms and waited < timeout_ms:
            page.wait_for_timeout(50)
            waited += 50
            quiet = quiet + 50 if not self.pending[page] else 0

    def close(self) -> None:
        for page in self.pending:
            self.wait_until_quiet(page)


def wait_for_image(page, other_than: int | None = None) -> int:
    """Wait until an image (other than the given one) is on screen and drawn; return its id."""
    try:
        page.wait_for_function(
            """(previous) => {
              const text = document.getElementById('fact-image').textContent;
              return /^#\\d+ /.test(text) && (previous === null || !text.startsWith(previous));
            }""",
            arg=f"#{other_than} " if other_than else None,
        )
    except PlaywrightTimeoutError as error:
        # What the annotator would read on the page says why no image came (a failed save or lease).
        shown = {
            selector: page.locator(selector).text_content() for selector in ("#fact-image", "#stage-note", "#message")
        }
        raise AssertionError(f"no image other than #{other_than} came; the page shows {shown}") from error
    page.evaluate(NEXT_FRAME)
    return shown_image(page)


def shown_image(page) -> int:
    return int(re.match(r"#(\d+)", page.locator("#fact-image").text_content()).group(1))


def fitted_position(page, image, x: float, y: float) -> tuple[float, float]:
    """Where image point (x, y) is on the page while the whole image is shown, centred."""
    box = page.get_by_label("Image to annotate").bounding_box()
    scale = min(box["width"] / image.width, box["height"] / image.height)
    left = box["x"] + (box["width"] - image.width * scale) / 2
    top = box["y"] + (box["height"] - image.height * scale) / 2
    return left + x * scale, top + y * scale


def drag(page, start: tuple[float, float], end: tuple[float, float], *, steps: int = 5) -> None:
    """Press at start, move to end, release: a box drawn, a point moved or the image panned."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def colours_at(page, positions: list[tuple[float, float]]) -> list[tuple[int, int, int]]:
    """The colour on screen at each page position, from one screenshot."""
    shot = PILImage.open(io.BytesIO(page.screenshot())).convert("RGB")
    ratio = page.evaluate("devicePixelRatio")
    return [shot.getpixel((int(x * ratio), int(y * ratio))) for x, y in positions]


def marker_positions(page) -> list[tuple[float, float]]:
    """Page positions of the magenta markers visible on the surface, from a screenshot, left to right.

    Each is the centroid of its pixels weighted by how magenta they are, so smoothing at
    any zoom moves it by a fraction of a pixel at most. The whole viewport is captured, so
    that screen pixel (i, j) is CSS position ((i + 0.5) / ratio, (j + 0.5) / ratio) exactly.
    """
    from scipy import ndimage

    box = page.get_by_label("Image to annotate").bounding_box()
    shot = np.asarray(PILImage.open(io.BytesIO(page.screenshot())).convert("RGB"), dtype=float)
    ratio = page.evaluate("devicePixelRatio")
    red, green, blue = shot[..., 0], shot[..., 1], shot[..., 2]
    weight = np.clip(np.minimum(red, blue) - green, 0, None)
    inside = np.zeros_like(weight, dtype=bool)
    inside[
        math.ceil(box["y"] * ratio) : math.floor((box["y"] + box["height"]) * ratio),
        math.ceil(box["x"] * ratio) : math.floor((box["x"] + box["width"]) * ratio),
    ] = True
    weight[~inside] = 0
    regions, count = ndimage.label(weight > 30)
    centres = []
    for region in range(1, count + 1):
        near = ndimage.binary_dilation(regions == region, iterations=2) & (weight > 0)
        rows, cols = np.nonzero(near)
        w = weight[rows, cols]
        centres.append((((cols + 0.5) * w).sum() / w.sum() / ratio, ((rows + 0.5) * w).sum() / w.sum() / ratio))
    return sorted(centres)
