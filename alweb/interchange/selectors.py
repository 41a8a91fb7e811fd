"""Reads that build a project's COCO keypoints export."""

import itertools
import json
from collections.abc import Iterable, Iterator

from django.db.models import Q
from django.utils import timezone

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


def coco_annotation(*, annotation_id: int, image_id: int, instance: dict) -> dict:
    """One person instance (or crowd region) of a label as a COCO annotation.

    Every annotation has a segmentation, as COCO's own files do: the outline or mask it was
    imported with, [] when it had none.
    """
    keypoints = instance["keypoints"]
    x, y, width, height = instance["bbox"]
    return {
        "id": annotation_id,
        "image_id": image_id,
        "category_id": CATEGORY_ID,
        "segmentation": instance.get("segmentation", []),
        "keypoints": [coordinate for point in keypoints for coordinate in point],
        "num_keypoints": sum(v > 0 for _, _, v in keypoints),
        "bbox": [x, y, width, height],
        "area": width * height,
        "iscrowd": instance.get("iscrowd", 0),
    }


def coco_export_chunks(*, project: Project) -> Iterator[str]:
    """Yield the project's COCO keypoints document in pieces, so memory stays flat however large it is.

    Annotations are numbered from 1 in the order written (images by id, then each label's
    instances in order), so exporting what an export imported gives the same ids.
    """
    info = {"description": project.name, "version": "1.0", "date_created": timezone.now().isoformat()}
    last_image_id = 0

    def images() -> Iterator[dict]:
        nonlocal last_image_id
        rows = (
            Image.objects.filter(project=project)
            .annotate(no_people=Q(annotation__instances=[]))
            .order_by("id")
            .values_list("id", "name", "width", "height", "no_people")
        )
        for image_id, name, width, height, no_people in rows.iterator(chunk_size=ROWS_PER_QUERY):
            last_image_id = image_id
            image = {"id": image_id, "file_name": name, "width": width, "height": height}
            if no_people:
                # Not COCO's (its readers ignore it): the image was checked and no one is in it.
                image["no_people"] = True
            yield image

    def annotations() -> Iterator[dict]:
        # Images added while the export runs are not listed, so their labels are left out too.
        rows = (
            Image.objects.filter(project=project, id__lte=last_image_id)
            .filter(Q(annotation__isnull=False) | ~Q(boxes=[]))
            .order_by("id")
            .values_list("id", "annotation__instances", "boxes")
        )
        annotation_ids = itertools.count(1)
        for image_id, instances, boxes in rows.iterator(chunk_size=ROWS_PER_QUERY):
            if instances is None:
                # An unlabelled image's person boxes (a detector's): persons without keypoints.
                unlabelled = [[0, 0, 0]] * project.num_keypoints
                instances = [{"bbox": box, "keypoints": unlabelled} for box in boxes or []]
            for instance in instances:
                yield coco_annotation(annotation_id=next(annotation_ids), image_id=image_id, instance=instance)

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
