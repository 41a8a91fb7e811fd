"""`python -m alweb.client export` against a running server."""

import json
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_writes_the_projects_coco_file(run_client, project, tmp_path):
    out = tmp_path / "runners.json"
    code, _, err = run_client("export", "--project", str(project.id), "--out", str(out))
    assert code == 0, err
    document = json.loads(out.read_text())
    assert document["categories"][0]["keypoints"][0] == "r-ankle"
    assert document["images"] == [] and document["annotations"] == []
    assert not list(tmp_path.glob("*.part"))


def test_export_defaults_to_the_servers_file_name(run_client, project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_client("export", "--project", str(project.id))
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == [f"runners-{project.id}-coco.json"]


def test_token_from_the_environment(run_client, project, token, tmp_path, monkeypatch):
    monkeypatch.setenv("ALWEB_TOKEN", token)
    code, _, err = run_client(
        "export", "--project", str(project.id), "--out", str(tmp_path / "x.json"), with_token=False
    )
    assert code == 0, err


def test_bad_token_is_explained(run_client, project, tmp_path, monkeypatch):
    monkeypatch.setenv("ALWEB_TOKEN", "not-a-token")
    code, _, err = run_client(
        "export", "--project", str(project.id), "--out", str(tmp_path / "x.json"), with_token=False
    )
    assert code == 2
    assert "refused the token (401)" in err
    assert not list(tmp_path.iterdir())


def test_missing_token_is_explained(run_client, project, monkeypatch):
    monkeypatch.delenv("ALWEB_TOKEN", raising=False)
    code, _, err = run_client("export", "--project", str(project.id), with_token=False)
    assert code == 2 and "ALWEB_TOKEN" in err


def test_unknown_project_is_explained(run_client, project):
    code, _, err = run_client("export", "--project", "999999")
    assert code == 2
    assert "Project 999999 does not exist or you are not a member of it (404)" in err


def test_unreachable_server_is_explained(run_client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    code, _, err = run_client("export", "--project", "1", url=f"http://127.0.0.1:{closed_port}")
    assert code == 2
    assert f"Cannot reach the server at http://127.0.0.1:{closed_port}" in err


@pytest.mark.live  # runs the client in a fresh interpreter
def test_the_client_runs_without_django(tmp_path):
    # Users run the client where only requests and tqdm are installed: block Django and check it still starts.
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('django', 'rest_framework'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import warnings; warnings.simplefilter('ignore')\n"
        "from alweb.client.__main__ import main\n"
        "sys.exit(main(['export', '--url', 'http://127.0.0.1:9', '--token', 't', '--project', '1', '--retries', '0']))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Cannot reach the server" in result.stderr
