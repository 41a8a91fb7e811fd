"""Reads that build a project's COCO keypoints export."""

import json
from collections.abc import Iterable, Iterator

from django.utils import timezone

from alweb.annotations.models import Annotation
from alweb.images.models import Image
from alweb.projects.models import Project

CATEGORY_ID = 1
ROWS_PER_QUERY = 2000
BYTES_PER_CHUNK = 64 * 1024


def coco_category(*, project: Project) -> dict:
    """The project's skeleton as a COCO keypoint category.

    COCO numbers skeleton joints from 1; flip_pairs is not COCO's but keeps the
    left/right pairs (0-based, like the project's) through an export and import.
    """
    return {
        "id": CATEGORY_ID,
        "name": "person",
        "supercategory": "person",
        "keypoints": list(project.keypoints),
        "skeleton": [[i + 1, j + 1] for i, j in project.edges],
        "flip_pairs": [[i, j] for i, j in project.flip_pairs],
    }


def coco_annotation(*, annotation_id: int, image_id: int, keypoints: list) -> dict:
    """One label as a COCO annotation; the box spans the labelled (v > 0) points."""
    labelled = [(x, y) for x, y, v in keypoints if v > 0]
    if labelled:
        xs, ys = [x for x, _ in labelled], [y for _, y in labelled]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    else:
        bbox = [0, 0, 0, 0]
    return {
        "id": annotation_id,
        "image_id": image_id,
        "category_id": CATEGORY_ID,
        "keypoints": [coordinate for point in keypoints for coordinate in point],
        "num_keypoints": len(labelled),
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "iscrowd": 0,
    }


def coco_export_chunks(*, project: Project) -> Iterator[str]:
    """Yield the project's COCO keypoints document in pieces, so memory stays flat however large it is."""
    info = {"description": project.name, "version": "1.0", "date_created": timezone.now().isoformat()}
    last_image_id = 0

    def images() -> Iterator[dict]:
        nonlocal last_image_id
        rows = Image.objects.filter(project=project).order_by("id").values_list("id", "name", "width", "height")
        for image_id, name, width, height in rows.iterator(chunk_size=ROWS_PER_QUERY):
            last_image_id = image_id
            yield {"id": image_id, "file_name": name, "width": width, "height": height}

    def annotations() -> Iterator[dict]:
        # Images added while the export runs are not listed, so their labels are left out too.
        rows = (
            Annotation.objects.filter(image__project=project, image_id__lte=last_image_id)
            .order_by("image_id")
            .values_list("id", "image_id", "keypoints")
        )
        for annotation_id, image_id, keypoints in rows.iterator(chunk_size=ROWS_PER_QUERY):
            yield coco_annotation(annotation_id=annotation_id, image_id=image_id, keypoints=keypoints)

    pieces = _chain(
        f'{{"info": {json.dumps(info)}, "licenses": [], "categories": [{json.dumps(coco_category(project=project))}]',
        ', "images": [',
        _json_items(images()),
        '], "annotations": [',
        _json_items(annotations()),
        "]}",
    )
    return _buffered(pieces)


def _chain(*parts: str | Iterable[str]) -> Iterator[str]:
    # Generators are consumed in order, so annotations() runs after images() has finished.
    for part in parts:
        if isinstance(part, str):
            yield part
        else:
            yield from part


def _json_items(items: Iterable[dict]) -> Iterator[str]:
    for index, item in enumerate(items):
        yield ("," if index else "") + json.dumps(item)


def _buffered(pieces: Iterable[str]) -> Iterator[str]:
    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= BYTES_PER_CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)
