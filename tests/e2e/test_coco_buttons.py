"""COCO keypoints in and out of a project from the dashboard, in Debian's Chromium."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture
def labelled_project(project, admin_user):
    from alweb.demo.services import synthetic_split_ensure

    synthetic_split_ensure(project=project, user=admin_user, split="train", count=3)
    synthetic_split_ensure(project=project, user=admin_user, split="pool", count=2)
    return project


def images_zip(project) -> bytes:
    """The project's image files, named as the export names them."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for image in project.images.all():
            with image.file.open("rb") as stored:
                zf.writestr(image.name, stored.read())
    return archive.getvalue()


def report_counts(page) -> dict[str, str]:
    rows = page.locator("#coco-import-report table").first.locator("tbody tr")
    return {row.locator("th").inner_text(): row.locator("td").inner_text() for row in rows.all()}


def test_an_admin_exports_a_project_and_imports_it_into_another(live_url, browser_page, labelled_project, admin_user):
    from alweb.annotations.models import Annotation
    from alweb.projects.services import project_create

    page = browser_page()
    log_in(page, live_url, admin_user.username)
    page.goto(f"{live_url}/projects/{labelled_project.id}/dashboard/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download COCO export").click()
    download = download_info.value
    assert download.suggested_filename == f"runners-{labelled_project.id}-coco.json"
    document = json.loads(Path(download.path()).read_bytes())
    assert sorted(image["file_name"] for image in document["images"]) == sorted(
        labelled_project.images.values_list("name", flat=True)
    )
    assert len([a for a in document["annotations"] if a.get("num_keypoints")]) == 3

    copy = project_create(user=admin_user, name="Runners, moved", preset="lsp14")
    page.goto(f"{live_url}/projects/{copy.id}/dashboard/")
    page.get_by_label("COCO keypoints JSON").set_input_files(download.path())
    page.get_by_label("Images zip (optional)").set_input_files(
        {"name": "images.zip", "mimeType": "application/zip", "buffer": images_zip(labelled_project)}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#coco-import-report")).to_be_visible()
    counts = report_counts(page)
    assert counts["Images added"] == "5"
    assert counts["Labels created"] == "3"
    assert counts["Labels updated (new version)"] == "0"
    assert counts["Annotations skipped"] == "0"
    expect(page.locator('[data-tile="Images"] .value')).to_have_text("5")
    assert Annotation.objects.filter(image__project=copy).count() == 3

    # The same file again replaces each label with a new version, and the report says so.
    page.get_by_label("COCO keypoints JSON").set_input_files(download.path())
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#coco-import-report table").first).to_contain_text("Labels updated (new version)3")
    assert sorted(Annotation.objects.filter(image__project=copy).values_list("version", flat=True)) == [2, 2, 2]


def test_a_broken_file_imports_nothing_and_says_why(live_url, browser_page, labelled_project, admin_user):
    from alweb.annotations.models import Annotation

    versions = list(Annotation.objects.filter(image__project=labelled_project).values_list("version", flat=True))
    page = browser_page()
    log_in(page, live_url, admin_user.username)
    page.goto(f"{live_url}/projects/{labelled_project.id}/dashboard/")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#coco-import-message")).to_have_text("Choose a COCO keypoints JSON file to import.")

    page.get_by_label("COCO keypoints JSON").set_input_files(
        {"name": "coco.json", "mimeType": "application/json", "buffer": b'{"images": [], "annotations": ['}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#coco-import-message")).to_contain_text("Nothing was imported:")
    expect(page.locator("#coco-import-report")).to_be_hidden()
    assert list(Annotation.objects.filter(image__project=labelled_project).values_list("version", flat=True)) == (
        versions
    )
