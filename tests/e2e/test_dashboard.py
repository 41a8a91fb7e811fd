"""The admins' dashboard in Debian's Chromium: upload, a real cycle on a real worker, the charts, access."""

import base64
import io
import json
import signal
import threading
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.live_processes import WorkerProcess, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


@pytest.fixture
def worker(live_url, tmp_path):
    from alweb.celery import app

    # Messages left by earlier tests name rows that no longer exist.
    app.control.purge()
    process = WorkerProcess(tmp_path)
    process.start()
    # Ready before the test clicks Start, so that the measured time is the cycle's, not the worker's boot.
    wait_for(lambda: " ready." in process.log_tail(), timeout=90, worker=process)
    yield process
    process.kill(signal.SIGTERM)


def open_dashboard(page, live_url, project, username="ada"):
    log_in(page, live_url, username)
    response = page.goto(f"{live_url}/projects/{project.id}/dashboard/")
    return response


def png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def drop_files(page, selector: str, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on an element the way a person drags them from the desktop."""
    payload = [{"name": name, "type": mime, "data": base64.b64encode(data).decode()} for name, mime, data in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, { type: f.type }));
            }
            return transfer;
        }""",
        payload,
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def chart_points(page, canvas_id: str) -> list[int]:
    """How many points each dataset of the chart on that canvas draws."""
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.getElementById(id));
            return chart.data.datasets.map((_, i) => chart.getDatasetMeta(i).data.length);
        }""",
        canvas_id,
    )


def painted_pixels(page, canvas_id: str) -> int:
    return page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return painted;
        }""",
        canvas_id,
    )


def test_annotators_and_outsiders_get_404(live_url, browser_page, project, outsider_user):
    for username in ("ann", "otto"):
        page = browser_page()
        response = open_dashboard(page, live_url, project, username)
        assert response.status == 404, username


def test_a_refused_start_says_why(live_url, browser_page, project):
    page = browser_page()
    open_dashboard(page, live_url, project)
    page.get_by_label("Budget", exact=True).fill("0")
    page.get_by_role("button", name="Start cycle").click()
    expect(page.get_by_role("alert").filter(has_text="budget")).to_contain_text(
        "The cycle was not started. budget: Ensure this value is greater than or equal to 1."
    )
    page.get_by_label("Budget", exact=True).fill("5")
    page.get_by_role("button", name="Start cycle").click()
    expect(page.locator("#cycle-form-message")).to_have_text(
        "The cycle was not started. A cycle needs at least 4 labelled images; the project has 0."
    )
    expect(page.locator("#progress-phase")).to_have_text("No cycle yet.")


def test_an_admin_drops_a_zip_and_reads_the_per_file_report(live_url, browser_page, project):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("runners/red.png", png((200, 30, 30)))
        zf.writestr("runners/green.png", png((30, 200, 30)))
        zf.writestr("runners/red-again.png", png((200, 30, 30)))
        zf.writestr("<img src=x onerror=window.pwned=1>.png", b"this is not an image")
    page = browser_page()
    open_dashboard(page, live_url, project)
    expect(page.locator("#overview")).not_to_have_attribute("aria-busy", "true")

    drop_files(
        page,
        "#drop-zone",
        [("runners.zip", "application/zip", archive.getvalue()), ("blue.png", "image/png", png((30, 30, 200)))],
    )

    batch = page.get_by_role("progressbar", name="Batch 1")
    expect(batch).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#upload-summary")).to_have_text("So far: 3 created, 1 duplicate, 1 rejected.")
    report = page.locator("#upload-report tbody tr")
    expect(report).to_have_count(5)
    rows = {r.locator("td").nth(0).inner_text(): r.locator("td").nth(1).inner_text() for r in report.all()}
    assert rows == {
        "runners/red.png": "created",
        "runners/green.png": "created",
        "runners/red-again.png": "duplicate",
        "<img src=x onerror=window.pwned=1>.png": "rejected",
        "blue.png": "created",
    }
    rejected = page.get_by_role("row", name="<img src=x onerror=window.pwned=1>.png")
    assert rejected.locator("td").nth(2).inner_text() != ""
    assert page.evaluate("window.pwned") is None
    # The overview re-reads the counts once the upload is done.
    expect(page.locator('[data-tile="Images"] .value')).to_have_text("3")

    # The file picker takes the same path, as the next batch.
    page.get_by_label("Choose files").set_input_files(
        [
            {"name": "blue-again.png", "mimeType": "image/png", "buffer": png((30, 30, 200))},
            {"name": "white.png", "mimeType": "image/png", "buffer": png((250, 250, 250))},
        ]
    )
    expect(page.get_by_role("progressbar", name="Batch 2")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#upload-summary")).to_have_text("So far: 4 created, 2 duplicate, 1 rejected.")
    expect(page.locator('[data-tile="Images"] .value')).to_have_text("4")
    page.screenshot(path="/tmp/dashboard-upload.png", full_page=True)


def test_an_admin_starts_a_cycle_and_watches_it_to_ready(live_url, browser_page, project, admin_user, worker):
    from alweb.demo.services import synthetic_split_ensure

    for split, count in (("train", 16), ("val", 4), ("pool", 8)):
        synthetic_split_ensure(project=project, user=admin_user, split=split, count=count)
    page = browser_page(width=1400, height=1000)
    # Every socket goes through this route, so the test can cut the connection as a network would.
    sockets = []

    def through_to_server(socket_route):
        socket_route.connect_to_server()
        sockets.append(socket_route)

    page.route_web_socket("**/ws/projects/**", through_to_server)
    open_dashboard(page, live_url, project)
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#progress-phase")).to_have_text("No cycle yet.")

    expect(page.get_by_label("Strategy", exact=True)).to_have_value("ll_plus_plus")
    page.get_by_label("Budget", exact=True).fill("3")
    # Enough epochs that the cycle is still running for the second start and the cut socket.
    page.get_by_label("Epochs", exact=True).fill("15")
    expect(page.get_by_label("Model", exact=True)).to_have_value("hg-tiny")
    # Time from the click to the first training progress on screen, measured in the page.
    page.evaluate("""() => {
        window.firstProgress = new Promise((resolve) => {
            const step = document.getElementById("progress-step");
            document.querySelector("#cycle-form button[type=submit]").addEventListener("click", () => {
                const clicked = performance.now();
                new MutationObserver((_, observer) => {
                    if (step.textContent.startsWith("epoch")) { observer.disconnect(); resolve(performance.now() - clicked); }
                }).observe(step, { childList: true, characterData: true, subtree: true });
            }, { once: true });
        });
    }""")
    page.evaluate("""() => {
        const bar = document.getElementById("progress-bar");
        window.barValues = [];
        new MutationObserver(() => window.barValues.push(Number(bar.getAttribute("aria-valuenow"))))
            .observe(bar, { attributes: true, attributeFilter: ["aria-valuenow"] });
    }""")
    page.get_by_role("button", name="Start cycle").click()
    expect(page.locator("#cycle-form-message")).to_contain_text("Cycle 1 started")
    bar = page.get_by_role("progressbar", name="Live progress")
    expect(page.locator("#progress-step")).to_contain_text("epoch", timeout=90_000)
    first_progress_ms = page.evaluate("window.firstProgress")
    (worker.log_dir / "first-progress-ms.txt").write_text(f"{first_progress_ms:.0f}\n")
    print(f"\nStart to first progress shown: {first_progress_ms / 1000:.2f} s")
    page.screenshot(path="/tmp/dashboard-training.png", full_page=True)

    # A second start while this one runs is refused, and the page says why.
    page.get_by_role("button", name="Start cycle").click()
    expect(page.locator("#cycle-form-message")).to_contain_text("Another cycle of this project is running")

    # The connection drops mid-cycle: the page says so, reconnects and catches up.
    sockets[-1].close(code=1011, reason="network cut")
    expect(page.locator("#live-status")).not_to_have_text("Live")
    expect(page.locator("#live-status")).to_have_text("Live", timeout=20_000)
    assert len(sockets) >= 2

    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=120_000)
    expect(page.locator("#progress-phase")).to_have_text("Cycle 1 (ll_plus_plus): ready")
    assert bar.get_attribute("aria-valuetext").startswith("100 %: ready")
    values = page.evaluate("window.barValues")
    assert values == sorted(values) and len({v for v in values if 0 < v < 100}) >= 2, values
    pose_points, head_points = chart_points(page, "loss-chart")
    assert pose_points >= 2 and pose_points == head_points
    assert painted_pixels(page, "loss-chart") > 0

    # The finished cycle reaches the history, the model list and the loss analysis.
    history = page.locator("#history-table tbody tr")
    expect(history).to_have_count(1)
    expect(history.first.locator("td").nth(2)).to_have_text("ready")
    expect(page.locator("#models-table tbody tr")).to_have_count(1)
    expect(page.locator("#models-table tbody tr").first).to_contain_text("Active")
    expect(page.locator("#within-table tbody tr")).to_have_count(14)
    expect(page.locator("#offset-table tbody tr")).to_have_count(11)
    assert chart_points(page, "history-val-chart") == [1]
    bins, curve = chart_points(page, "analysis-chart")[1], chart_points(page, "analysis-chart")[0]
    assert bins >= 5 and curve == 120
    # The budget's 3 images and one random audit image (10 % of the budget, at least one), unmarked.
    expect(page.locator('[data-tile="Queue"] .value')).to_have_text("4")
    expect(page.locator("#history-verdict")).to_contain_text("Cycle 1")
    page.screenshot(path="/tmp/dashboard-ready.png", full_page=True)


@pytest.fixture
def recorded_cycles(project, admin_user):
    """Three finished cycles as the loop records them, one with random selection, and labelled outcomes."""
    import numpy as np

    from alweb.cycles.models import Cycle, ModelVersion
    from alweb.images.models import Image
    from alweb.queue.models import QueueEntry

    cycles = []
    for index, strategy, pck, rho, tau, val in [
        (1, "ll_plus_plus", 0.42, 0.31, 0.22, 0.55),
        (2, "random", 0.71, None, None, 0.60),
        (3, "ll_plus_plus", 0.35, 0.48, 0.36, 0.66),
    ]:
        # The latest cycle had an audit sample that shows its ranking found the failures.
        audit = (
            {
                "pck_selected_ci": [0.25, 0.45],
                "pck_audit": 0.78,
                "pck_audit_ci": [0.7, 0.86],
                "audit_labelled": 4,
                "ranking_verdict": "found",
            }
            if index == 3
            else {}
        )
        cycle = Cycle.objects.create(
            project=project,
            index=index,
            state="ready",
            strategy=strategy,
            budget=4,
            epochs=3,
            model_name="hg-tiny",
            audit_fraction=0.25 if index == 3 else 0.0,
            metrics={"pck_selected": pck, "spearman": rho, "kendall": tau, "val_pck": val, "labelled": 4, **audit},
        )
        losses = np.random.default_rng(index).gamma(1.6, 0.06, size=300)
        ModelVersion.objects.create(
            project=project,
            cycle=cycle,
            model_name="hg-tiny",
            checkpoint=f"models/m{index}.pt",
            is_active=index == 3,
            metrics={"val_pck": val, "train_losses": [round(float(v), 6) for v in losses]},
        )
        cycles.append(cycle)
    for rank in range(1, 5):
        image = Image.objects.create(
            project=project,
            name=f"p{rank}.png",
            file=f"images/p{rank}.png",
            sha256=f"{rank:064x}",
            content_type="image/png",
            width=64,
            height=48,
        )
        QueueEntry.objects.create(
            project=project,
            cycle=cycles[2],
            image=image,
            rank=rank,
            state="done",
            predicted_loss=2.0 - rank * 0.3,
            realized_loss=0.3 - rank * 0.05,
            pck=0.5,
            keypoints=[[1.0, 1.0, 0.5]] * 14,
        )
    project.name = '<img src=x onerror="window.pwned=1">Runners'
    project.save(update_fields=["name"])
    return cycles


def test_the_charts_draw_every_cycle_and_the_loss_analysis(live_url, browser_page, project, recorded_cycles):
    page = browser_page(width=1400, height=1000)
    open_dashboard(page, live_url, project)
    expect(page.locator("#history-table tbody tr")).to_have_count(3)
    expect(page.locator("#scatter-note")).to_contain_text("4 labelled selections")

    pck = page.evaluate("""() => Chart.getChart(document.getElementById("history-pck-chart")).data.datasets
                           .map((d) => [d.label, d.data.length, d.borderDash.length > 0])""")
    assert pck == [["ll_plus_plus", 2, False], ["audit sample (random)", 1, True], ["random baseline", 1, True]]
    expect(page.locator("#history-verdict")).to_have_text(
        "On this project the ranking found the model's failures: in Cycle 3 the selected images' PCK, "
        "35.0 % (25 %–45 %), is below the random audit sample's, 78.0 % (70 %–86 %)."
    )
    expect(page.locator("#history-table tbody tr").first).to_contain_text("found the failures")
    expect(page.locator("#history-table tbody tr").last).to_contain_text("no audit")
    assert chart_points(page, "history-rank-chart") == [2, 2]
    assert chart_points(page, "history-val-chart") == [3]
    assert chart_points(page, "scatter-chart") == [4]
    expect(page.locator("#within-table tbody tr")).to_have_count(14)
    analysis = json.loads(
        page.evaluate("""() => fetch(`/api/v1/projects/${JSON.parse(
        document.getElementById("dashboard-config").textContent).project.id}/loss-analysis/`).then((r) => r.text())""")
    )
    assert chart_points(page, "analysis-chart") == [120, len(analysis["analysis"]["histogram"]["density"])]
    for canvas in ("history-pck-chart", "history-rank-chart", "history-val-chart", "scatter-chart", "analysis-chart"):
        assert painted_pixels(page, canvas) > 1000, canvas
    expect(page.locator("#analysis-explanation")).to_contain_text("LL++")

    # Choosing another cycle redraws the scatter with that cycle's (here: no) labelled selections.
    page.get_by_label("Predicted against realized loss of cycle").select_option(str(recorded_cycles[0].id))
    expect(page.locator("#scatter-note")).to_contain_text("None of this cycle's selected images")
    assert chart_points(page, "scatter-chart") == [0]

    # Switching the active model: the older version answers /predict/ from now on.
    page.get_by_role("button", name=f"Use model version {recorded_cycles[0].model_version.id}").click()
    expect(page.locator("#models-message")).to_contain_text("now answers predictions")
    expect(page.locator('[data-tile="Active model"] .detail')).to_contain_text("cycle 1")

    assert page.locator("h1").inner_text().startswith('<img src=x onerror="window.pwned=1">Runners')
    assert page.evaluate("window.pwned") is None
    page.screenshot(path="/tmp/dashboard-history.png", full_page=True)


def test_a_running_cycle_reads_from_the_api_on_load_and_can_be_cancelled(live_url, browser_page, project):
    from alweb.cycles.models import Cycle

    Cycle.objects.create(
        project=project,
        index=1,
        state="training",
        strategy="ll_plus_plus",
        budget=4,
        epochs=4,
        model_name="hg-tiny",
        progress={
            "phase": "training",
            "epoch": 2,
            "epochs": 4,
            "step": 3,
            "steps": 5,
            "eta_s": 42.0,
            "losses": {"pose": 8.1, "head": 0.0002, "total": 8.1},
            "starting_weights": "random_no_backbone_weights",
        },
    )
    page = browser_page()
    open_dashboard(page, live_url, project)
    bar = page.get_by_role("progressbar", name="Live progress")
    # Epoch 2 of 4, step 3 of 5: 8 of 20 steps, on the 75 % of the bar that the pose network's training fills.
    expect(bar).to_have_attribute("aria-valuenow", "30")
    expect(page.locator("#progress-step")).to_have_text("epoch 2 of 4, step 3 of 5")
    expect(page.locator("#progress-eta")).to_have_text("· about 42 s left")
    weights = page.locator("#progress-weights")
    expect(weights).to_have_text(
        "⚠ Backbone starts from random values: set BACKBONE_WEIGHTS to a local ImageNet state dict."
    )
    expect(weights).to_have_attribute("data-kind", "warning")
    assert chart_points(page, "loss-chart") == [1, 1]

    page.get_by_role("button", name="Cancel cycle").click()
    expect(page.locator("#progress-phase")).to_have_text("Cycle 1 (ll_plus_plus): cancelled")
    expect(page.get_by_role("button", name="Cancel cycle")).to_be_hidden()
    expect(bar).to_have_attribute("aria-valuenow", "30")
    expect(page.locator("#history-table tbody tr").first.locator("td").nth(2)).to_have_text("cancelled")


def test_where_training_started_shows_live_and_a_backbone_without_weights_warns(live_url, browser_page, project):
    from alweb.cycles.events import publish_cycle_progress, publish_cycle_state
    from alweb.cycles.models import Cycle
    from alweb.cycles.shapes import CycleProgress

    cycle = Cycle.objects.create(
        project=project,
        index=1,
        state="training",
        strategy="ll_plus_plus",
        budget=4,
        epochs=4,
        model_name="hg-tiny",
        progress={"phase": "training"},
    )
    page = browser_page()
    open_dashboard(page, live_url, project)
    expect(page.locator("#live-status")).to_have_text("Live")
    weights = page.locator("#progress-weights")
    expect(weights).to_be_hidden()

    def in_other_thread(send, **arguments) -> None:
        # Playwright's event loop runs in this thread, and Channels will not send from inside one.
        thread = threading.Thread(target=send, kwargs=arguments)
        thread.start()
        thread.join()

    def report(progress: CycleProgress) -> None:
        in_other_thread(publish_cycle_progress, project_id=project.id, cycle_id=cycle.id, progress=progress)

    report(CycleProgress(phase="training", starting_weights="imagenet"))
    expect(weights).to_have_text("Backbone starts from ImageNet weights.")
    expect(weights).to_have_attribute("data-kind", "info")
    report(CycleProgress(phase="training", starting_weights="random_no_backbone_weights"))
    expect(weights).to_have_text(
        "⚠ Backbone starts from random values: set BACKBONE_WEIGHTS to a local ImageNet state dict."
    )
    expect(weights).to_have_attribute("data-kind", "warning")
    # Scoring no longer reports where training started: the warning stays.
    Cycle.objects.filter(pk=cycle.pk).update(state="scoring")
    cycle.refresh_from_db()
    in_other_thread(publish_cycle_state, cycle=cycle)
    report(CycleProgress(phase="scoring", step=2, steps=8))
    expect(page.locator("#progress-step")).to_have_text("2 of 8 images scored")
    expect(weights).to_contain_text("Backbone starts from random values")
