"""`python -m alweb.client upload` against a running server: skip what is there, resume, report rejects."""

import io
import shutil

import pytest
import requests
from PIL import Image as PILImage

pytestmark = pytest.mark.django_db(transaction=True)


def picture(width: int, height: int, fmt: str, shade: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (shade, 255 - shade, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path):
    """Six good images in nested folders, one broken JPEG, and a text file the client ignores."""
    root = tmp_path / "pool"
    (root / "day1").mkdir(parents=True)
    (root / "day2" / "cam").mkdir(parents=True)
    files = {
        "a.png": picture(8, 6, "PNG", 10),
        "b.jpg": picture(9, 7, "JPEG", 60),
        "day1/c.webp": picture(10, 5, "WEBP", 110),
        "day1/D.JPEG": picture(6, 6, "JPEG", 160),
        "day2/e.png": picture(12, 4, "PNG", 210),
        "day2/cam/f.png": picture(5, 11, "PNG", 250),
        "day2/broken.jpg": picture(9, 7, "JPEG", 30)[:60],
        "notes.txt": b"not an image",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


@pytest.fixture
def sent(monkeypatch):
    """The names of the files each upload request carried."""
    from alweb.client.api import ApiClient

    batches = []
    real = ApiClient.post_files

    def spy(self, path, *, field, files):
        batches.append(sorted(name for name, _ in files))
        return real(self, path, field=field, files=files)

    monkeypatch.setattr(ApiClient, "post_files", spy)
    return batches


def upload(run_client, project, folder, *extra):
    return run_client(
        "upload", "--project", str(project.id), "--batch-size", "2", "--workers", "2", *extra, str(folder)
    )


def test_upload_reports_rejects_and_a_rerun_sends_nothing_new(run_client, project, folder, sent):
    code, out, err = upload(run_client, project, folder)

    assert code == 1, err
    assert "7 images found, 0 already on the server; created 6, duplicate 0, rejected 1, failed 0." in out
    assert "day2/broken.jpg: " in out
    assert sorted(project.images.values_list("name", flat=True)) == [
        "D.JPEG",
        "a.png",
        "b.jpg",
        "c.webp",
        "e.png",
        "f.png",
    ]
    assert sum(len(batch) for batch in sent) == 7

    sent.clear()
    code, out, err = upload(run_client, project, folder)

    assert code == 1, err
    assert "7 images found, 6 already on the server; created 0, duplicate 0, rejected 1, failed 0." in out
    assert sent == [["broken.jpg"]]


def test_a_clean_folder_exits_zero(run_client, project, folder):
    (folder / "day2" / "broken.jpg").unlink()
    code, out, err = upload(run_client, project, folder)
    assert code == 0, err
    assert "created 6" in out and "Rejected" not in out


def test_upload_resumes_where_it_stopped(run_client, project, folder, tmp_path, sent):
    (folder / "day2" / "broken.jpg").unlink()
    half = tmp_path / "half"
    shutil.copytree(folder / "day2", half / "day2")
    assert upload(run_client, project, half)[0] == 0
    sent.clear()

    code, out, err = upload(run_client, project, folder)

    assert code == 0, err
    assert "6 images found, 2 already on the server; created 4" in out
    assert sorted(name for batch in sent for name in batch) == ["D.JPEG", "a.png", "b.jpg", "c.webp"]


def test_ctrl_c_mid_upload_then_rerun_sends_the_rest(run_client, project, folder, sent, monkeypatch):
    from alweb.client import upload as upload_module

    (folder / "day2" / "broken.jpg").unlink()
    real_send = upload_module._send

    def interrupted_after_two_batches(**kwargs):
        if len(sent) >= 2:
            raise KeyboardInterrupt
        return real_send(**kwargs)

    monkeypatch.setattr(upload_module, "_send", interrupted_after_two_batches)
    code, _, err = upload(run_client, project, folder, "--workers", "1")
    assert code == 130 and "Run the same command again" in err
    assert project.images.count() == 4

    monkeypatch.setattr(upload_module, "_send", real_send)
    sent.clear()
    code, out, err = upload(run_client, project, folder)
    assert code == 0, err
    assert "4 already on the server; created 2" in out
    assert sum(len(batch) for batch in sent) == 2


def test_transient_errors_are_retried_with_backoff(run_client, project, folder, monkeypatch):
    from alweb.client import api

    (folder / "day2" / "broken.jpg").unlink()
    sleeps, failures = [], iter(["refused", "busy"])
    real_post = requests.Session.post

    def flaky_post(self, url, **kwargs):
        failure = next(failures, None)
        if failure == "refused":
            raise requests.ConnectionError("connection reset")
        if failure == "busy":
            response = requests.Response()
            response.status_code, response._content = 503, b'{"detail": "The database is unavailable."}'
            return response
        return real_post(self, url, **kwargs)

    monkeypatch.setattr(requests.Session, "post", flaky_post)
    monkeypatch.setattr(api.time, "sleep", sleeps.append)
    code, out, err = upload(run_client, project, folder, "--workers", "1", "--retries", "3")

    assert code == 0, err
    assert "created 6" in out
    assert sleeps == [1.0, 2.0]


def test_a_server_error_that_persists_fails_the_batch_not_the_run(run_client, project, folder, monkeypatch):
    from alweb.client import api

    (folder / "day2" / "broken.jpg").unlink()
    real_post = requests.Session.post
    calls = []

    def first_batch_fails(self, url, **kwargs):
        calls.append(url)
        if len(calls) <= 2:
            response = requests.Response()
            response.status_code, response._content = 502, b"Bad Gateway"
            return response
        return real_post(self, url, **kwargs)

    monkeypatch.setattr(requests.Session, "post", first_batch_fails)
    monkeypatch.setattr(api.time, "sleep", lambda seconds: None)
    code, out, _err = upload(run_client, project, folder, "--workers", "1", "--retries", "1")

    assert code == 1
    assert "created 4, duplicate 0, rejected 0, failed 2." in out
    assert "The server answered 502: Bad Gateway" in out


def test_an_annotator_is_told_uploads_need_an_admin(run_client, project, folder, annotator_user):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=annotator_user).key
    code, _, err = upload(run_client, project, folder, "--token", token)
    assert code == 2
    assert "Permission denied (403)" in err
    assert not project.images.exists()


def test_unknown_project_and_bad_token_stop_before_uploading(run_client, project, folder, sent):
    code, _, err = run_client("upload", "--project", "999999", str(folder))
    assert code == 2 and "Project 999999 does not exist" in err
    code, _, err = upload(run_client, project, folder, "--token", "wrong")
    assert code == 2 and "refused the token (401)" in err
    assert sent == []


def test_a_missing_folder_is_explained(run_client, project, tmp_path):
    code, _, err = run_client("upload", "--project", str(project.id), str(tmp_path / "nope"))
    assert code == 2 and "is not a folder" in err


def test_an_exif_rotated_jpeg_is_sent_again_and_reported_duplicate(run_client, project, tmp_path):
    # The server stores such a JPEG turned upright, so its hash differs from the file's:
    # the rerun cannot skip it, and the server recognises it instead.
    root = tmp_path / "phone"
    root.mkdir()
    exif = PILImage.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    PILImage.new("RGB", (12, 8), (1, 2, 3)).save(buffer, format="JPEG", exif=exif.tobytes())
    (root / "portrait.jpg").write_bytes(buffer.getvalue())

    assert "created 1" in upload(run_client, project, root)[1]
    code, out, err = upload(run_client, project, root)
    assert code == 0, err
    assert "created 0, duplicate 1" in out
    assert project.images.get().width == 8
