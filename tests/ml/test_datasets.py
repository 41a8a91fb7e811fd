"""Loaders of LSP/LSPET, MPII and COCO, on tiny files written here in each format."""

import json
import math

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from ml.datasets import PoseRecords, load_coco_keypoints, load_lsp, load_mpii
from ml.skeletons import COCO17, LSP14, MPII16


def _write_images(directory, names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.new("RGB", (8, 6), (10, 20, 30)).save(directory / name)


def test_lsp_original_layout(tmp_path):
    n = 3
    joints = np.zeros((3, 14, n))
    joints[0] = np.arange(14)[:, None] + 1 + 100 * np.arange(n)  # x, 1-based
    joints[1] = 50.0
    joints[2, 4, 1] = 1  # LSP: flag 1 = invisible
    joints[0, 7, 2] = np.nan
    savemat(tmp_path / "joints.mat", {"joints": joints})
    _write_images(tmp_path / "images", [f"im{i:04d}.jpg" for i in range(1, n + 1)])

    records = load_lsp(tmp_path)

    assert isinstance(records, PoseRecords) and records.skeleton is LSP14 and len(records) == n
    assert records.image_paths[1] == tmp_path / "images" / "im0002.jpg"
    assert all(path.is_file() for path in records.image_paths)
    assert records.keypoints.dtype == np.float32 and records.keypoints.shape == (n, 14, 2)
    assert records.keypoints[1, 3].tolist() == [103.0, 49.0]
    assert records.visibility.dtype == np.int64
    assert records.visibility[1, 4] == 1 and records.visibility[1, 3] == 2
    assert records.visibility[2, 7] == 0
    assert records.split == ["train"] * n
    assert records.head_size is None


def test_lsp_split_puts_the_last_thousand_in_test(tmp_path):
    savemat(tmp_path / "joints.mat", {"joints": np.ones((3, 14, 1001))})
    records = load_lsp(tmp_path)
    assert records.split[999] == "train" and records.split[1000] == "test"


def test_lspet_layout(tmp_path):
    n = 2
    joints = np.zeros((14, 3, n))
    joints[:, 0] = 11.0
    joints[:, 1] = 21.0
    joints[:, 2] = 1  # LSPET: flag 1 = visible
    joints[5, 2, 0] = 0
    savemat(tmp_path / "joints.mat", {"joints": joints})

    records = load_lsp(tmp_path)

    assert records.image_paths[0].name == "im00001.jpg"
    assert records.keypoints[0, 0].tolist() == [10.0, 20.0]
    assert records.visibility[0, 5] == 1
    assert (np.delete(records.visibility, 5, axis=1) == 2).all()


def test_lsp_rejects_an_unknown_shape(tmp_path):
    savemat(tmp_path / "joints.mat", {"joints": np.zeros((2, 14, 5))})
    with pytest.raises(ValueError, match="shape"):
        load_lsp(tmp_path)


def _struct_array(rows: list[dict], fields: list[str]) -> np.ndarray:
    """A 1 x n MATLAB struct array (numpy record array of objects) for savemat."""
    array = np.zeros((1, len(rows)), dtype=[(field, object) for field in fields])
    for i, row in enumerate(rows):
        for field in fields:
            array[0, i][field] = row.get(field, np.zeros((0, 0)))
    return array


def _points(entries: list[tuple]) -> np.ndarray:
    rows = [dict(id=j, x=x, y=y, is_visible=v) for j, x, y, v in entries]
    return _struct_array(rows, ["id", "x", "y", "is_visible"])


def _write_mpii(root):
    """Three images shaped like the official RELEASE struct: a lone person (bare struct
    after squeeze_me), two people, one of them without joints, and a test image."""
    empty = np.zeros((0, 0))
    person_a = dict(
        x1=10,
        y1=20,
        x2=40,
        y2=60,
        annopoints={"point": _points([(0, 101.0, 201.0, 1), (9, 51.0, 11.0, "0"), (13, 31.0, 41.0, empty)])},
    )
    person_b = dict(x1=empty, y1=empty, x2=empty, y2=empty, annopoints={"point": _points([(15, 6.0, 8.0, 1)])})
    person_without_joints = dict(x1=1, y1=1, x2=2, y2=2, annopoints=empty)
    rect_fields = ["x1", "y1", "x2", "y2", "annopoints"]
    annolist = _struct_array(
        [
            dict(image={"name": "000001.jpg"}, annorect=_struct_array([person_a], rect_fields)),
            dict(
                image={"name": "000002.jpg"},
                annorect=_struct_array([person_without_joints, person_b], rect_fields),
            ),
            dict(image={"name": "000003.jpg"}, annorect=_struct_array([{"scale": 1.0}], ["scale"])),
        ],
        ["image", "annorect"],
    )
    release = {"annolist": annolist, "img_train": np.array([[1, 0, 0]])}
    savemat(root / "mpii_human_pose_v1_u12_1.mat", {"RELEASE": release})
    _write_images(root / "images", ["000001.jpg", "000002.jpg", "000003.jpg"])


def test_mpii_one_record_per_annotated_person(tmp_path):
    _write_mpii(tmp_path)

    records = load_mpii(tmp_path)

    assert records.skeleton is MPII16 and len(records) == 2
    assert [path.name for path in records.image_paths] == ["000001.jpg", "000002.jpg"]
    assert all(path.is_file() for path in records.image_paths)
    assert records.keypoints.shape == (2, 16, 2) and records.visibility.shape == (2, 16)
    assert records.keypoints[0, 0].tolist() == [100.0, 200.0]
    assert records.keypoints[0, 9].tolist() == [50.0, 10.0]
    assert records.visibility[0, 0] == 2  # is_visible 1
    assert records.visibility[0, 9] == 1  # is_visible '0' (a string in the real file)
    assert records.visibility[0, 13] == 2  # is_visible empty
    assert records.visibility[0].sum() == 5 and records.visibility[1].tolist() == [0] * 15 + [2]
    assert records.head_size.dtype == np.float32
    assert records.head_size[0] == pytest.approx(0.6 * 50.0)
    assert math.isnan(records.head_size[1])
    assert records.split == ["train", "test"]


def test_mpii_finds_the_file_in_the_release_folder(tmp_path):
    _write_mpii(tmp_path)
    release_folder = tmp_path / "mpii_human_pose_v1_u12_2"
    release_folder.mkdir()
    (tmp_path / "mpii_human_pose_v1_u12_1.mat").rename(release_folder / "mpii_human_pose_v1_u12_1.mat")
    assert len(load_mpii(tmp_path)) == 2


def test_mpii_without_the_file_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"mpii_human_pose_v1_u12_1\.mat"):
        load_mpii(tmp_path)


def _coco(annotations, file_name="a.jpg"):
    return {
        "images": [{"id": 7, "file_name": file_name, "width": 8, "height": 6}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person", "keypoints": list(COCO17.keypoints)}],
    }


def _annotation(ann_id, keypoints, num_keypoints=None, image_id=7):
    labelled = sum(1 for v in keypoints[2::3] if v > 0)
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": 1,
        "keypoints": keypoints,
        "num_keypoints": labelled if num_keypoints is None else num_keypoints,
    }


def _write_json(path, content):
    path.write_text(json.dumps(content))
    return path


def test_coco_records(tmp_path):
    keypoints = [0] * 51
    keypoints[0:3] = [4, 5, 2]
    keypoints[15:18] = [1, 2, 1]
    path = _write_json(tmp_path / "k.json", _coco([_annotation(1, keypoints), _annotation(2, [0] * 51)]))
    _write_images(tmp_path / "img", ["a.jpg"])

    records = load_coco_keypoints(path, tmp_path / "img")

    assert records.skeleton is COCO17 and len(records) == 1
    assert records.image_paths == [tmp_path / "img" / "a.jpg"]
    assert records.keypoints[0, 0].tolist() == [4.0, 5.0] and records.keypoints[0, 5].tolist() == [1.0, 2.0]
    assert records.visibility[0, 0] == 2 and records.visibility[0, 5] == 1 and records.visibility[0].sum() == 3
    assert records.head_size is None and records.split is None


@pytest.mark.parametrize("file_name", ["../a.jpg", "x/../../a.jpg", "/etc/passwd", "..\\a.jpg", "C:\\a.jpg"])
def test_coco_rejects_file_names_leaving_the_folder(tmp_path, file_name):
    path = _write_json(tmp_path / "k.json", _coco([], file_name=file_name))
    with pytest.raises(ValueError, match="file_name"):
        load_coco_keypoints(path, tmp_path)


@pytest.mark.parametrize(
    "annotation",
    [
        _annotation(1, [1, 1, 2] * 16),  # 16 joints
        _annotation(1, [1, 1, 3] * 17),  # visibility 3
        _annotation(1, [1, 1, 2] * 17, image_id=8),  # no such image
    ],
)
def test_coco_rejects_bad_annotations(tmp_path, annotation):
    path = _write_json(tmp_path / "k.json", _coco([annotation]))
    with pytest.raises(ValueError, match="annotation 1"):
        load_coco_keypoints(path, tmp_path)
