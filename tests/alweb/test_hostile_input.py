"""Whatever a client sends gets a 4xx JSON error, never a 500: huge ids, numbers beyond float range,
NaN and Infinity, lists where objects belong, unknown paths and methods under /api/."""

import json

import pytest

from tests.alweb.interchange import conftest as interchange

pytestmark = pytest.mark.django_db
stored_image = interchange.stored_image  # the fixture, shared with the COCO tests

BEYOND_64_BITS = "99999999999999999999999"
BEYOND_FLOAT = "1" + "0" * 400  # 10**400 as a JSON number literal


def send(client, method: str, path: str, raw: str):
    """Send `raw` as the JSON body, exactly as written (Python's json would refuse some of it)."""
    return getattr(client, method)(path, data=raw, content_type="application/json")


def assert_json_error(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/images/{BEYOND_64_BITS}/",
        f"/api/v1/images/{BEYOND_64_BITS}/file",
        f"/api/v1/images/{BEYOND_64_BITS}/annotation/",
        f"/api/v1/projects/{BEYOND_64_BITS}/",
        f"/api/v1/projects/{BEYOND_64_BITS}/images/",
        f"/api/v1/cycles/{BEYOND_64_BITS}/",
        f"/api/v1/projects/{2**63}/export/",
        "/api/v1/projects/9223372036854775807/",  # the largest id: a valid route, no such project
    ],
)
def test_ids_beyond_64_bits_in_paths_are_404(admin_client, project, path):
    body = assert_json_error(admin_client.get(path), 404)
    assert "detail" in body


def test_unknown_paths_and_methods_under_api_answer_json(admin_client):
    body = assert_json_error(admin_client.get("/api/v1/no-such-thing/"), 404)
    assert body == {"detail": "Not found.", "code": "not_found"}
    assert_json_error(admin_client.get("/api/nothing"), 404)
    assert_json_error(admin_client.delete("/api/v1/projects/"), 405)


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        '"NaN"',
        '"Infinity"',
        '"inf"',
        BEYOND_FLOAT,
        f"{BEYOND_FLOAT}.0",
        "1e400",
        "[]",
        "{}",
    ],
)
def test_flag_percentile_takes_only_finite_numbers(admin_client, project, value):
    response = send(admin_client, "patch", f"/api/v1/projects/{project.id}/", f'{{"flag_percentile": {value}}}')
    body = assert_json_error(response, 400)
    assert "flag_percentile" in body or "detail" in body
    project.refresh_from_db()
    assert project.flag_percentile == 90.0


@pytest.mark.parametrize("value", ["NaN", '"NaN"', "Infinity", BEYOND_FLOAT, "1e400"])
def test_cycle_audit_fraction_takes_only_finite_numbers(admin_client, project, value):
    response = send(admin_client, "post", f"/api/v1/projects/{project.id}/cycles/", f'{{"audit_fraction": {value}}}')
    assert_json_error(response, 400)


@pytest.mark.parametrize("value", [BEYOND_64_BITS, BEYOND_FLOAT, "1e400", "NaN", "[]"])
def test_numbers_beyond_range_in_integer_fields_are_400(admin_client, project, value):
    response = send(admin_client, "post", f"/api/v1/projects/{project.id}/cycles/", f'{{"budget": {value}}}')
    assert_json_error(response, 400)
    response = send(admin_client, "patch", f"/api/v1/projects/{project.id}/", f'{{"edges": [[0, {value}]]}}')
    assert_json_error(response, 400)


@pytest.mark.parametrize("coordinate", [BEYOND_FLOAT, f"-{BEYOND_FLOAT}", "1e400", '"NaN"', "NaN", "Infinity"])
def test_label_coordinates_beyond_float_range_are_400(admin_client, project, stored_image, coordinate):
    image = stored_image(project=project, name="a.png", width=40, height=30)
    points = ", ".join([f"[{coordinate}, 5, 2]"] + ["[0, 0, 0]"] * 13)
    response = send(admin_client, "put", f"/api/v1/images/{image.id}/annotation/", f'{{"keypoints": [{points}]}}')
    assert_json_error(response, 400)
    assert not hasattr(image, "annotation") or image.annotation is None


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "42", "null", "{", '{"name": []}', '{"name": {}}'])
def test_bodies_that_are_not_the_expected_object_are_400(admin_client, body):
    assert_json_error(send(admin_client, "post", "/api/v1/projects/", body), 400)
    assert_json_error(send(admin_client, "post", "/api/v1/auth/token/", body), 400)


@pytest.mark.parametrize(
    "annotation",
    [
        {"category_id": []},
        {"category_id": {}},
        {"category_id": 10**30},
        {"image_id": []},
        {"image_id": {"id": 1}},
        {"id": []},
        {"keypoints": {"x": 1}},
        {"keypoints": [[1, 2, 2]] * 14},
    ],
)
def test_coco_import_with_lists_or_objects_where_scalars_belong_is_400(admin_client, project, annotation):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = {
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "keypoints": [0] * 42, **annotation}],
        "categories": [{"id": 1, "keypoints": [str(i) for i in range(14)]}],
    }
    files = {"annotations": SimpleUploadedFile("coco.json", json.dumps(document).encode(), "application/json")}
    response = admin_client.post(f"/api/v1/projects/{project.id}/import/", files, format="multipart")
    assert_json_error(response, 400)


def test_coco_import_with_infinite_and_huge_numbers_is_400(admin_client, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = (
        '{"images": [{"id": 1, "file_name": "a.png", "width": 1e400, "height": 30}], '
        f'"annotations": [{{"id": {BEYOND_64_BITS}, "image_id": 1, "keypoints": [NaN, Infinity, 2]}}]}}'
    )
    files = {"annotations": SimpleUploadedFile("coco.json", raw.encode(), "application/json")}
    response = admin_client.post(f"/api/v1/projects/{project.id}/import/", files, format="multipart")
    assert_json_error(response, 400)


def test_predict_and_upload_refuse_non_files(admin_client, project):
    response = admin_client.post(f"/api/v1/projects/{project.id}/predict/", {"file": "text"}, format="multipart")
    assert_json_error(response, 400)
    response = admin_client.post(f"/api/v1/projects/{project.id}/images/", {"files": "text"}, format="multipart")
    assert_json_error(response, 400)


@pytest.mark.parametrize("name", [0, 1.5, True, ["a"], {"a": 1}, "\x1e" + "a" * 200])
def test_names_are_strings_within_their_length_as_sent(admin_client, name):
    response = admin_client.post("/api/v1/projects/", {"name": name, "preset": "lsp14"}, format="json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("after", [False, 0, 12, "", "not-a-uuid"])
def test_queue_next_after_must_be_a_uuid_string(annotator_client, project, after):
    response = annotator_client.post(f"/api/v1/projects/{project.id}/queue/next/", {"after": after}, format="json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("query", ["state=", "split=", "page_size=null", "page_size=0", f"page_size={BEYOND_64_BITS}"])
def test_empty_or_unreadable_query_parameters_are_400(admin_client, project, query):
    assert_json_error(admin_client.get(f"/api/v1/projects/{project.id}/images/?{query}"), 400)


@pytest.mark.parametrize("query", ["format=", "format=voc"])
def test_export_format_must_be_named(admin_client, project, query):
    assert_json_error(admin_client.get(f"/api/v1/projects/{project.id}/export/?{query}"), 400)


def test_json_endpoints_refuse_form_bodies_with_415(admin_client, project):
    response = admin_client.post(f"/api/v1/projects/{project.id}/queue/next/", {"after": ""}, format="multipart")
    assert_json_error(response, 415)
