"""Everything that writes an import: the images of an archive and the labels of a COCO file, all or nothing."""

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.files.storage import default_storage
from django.db import transaction
from PIL import ExifTags
from PIL import Image as PILImage

from alweb.annotations.models import Annotation
from alweb.annotations.services import annotation_save
from alweb.errors import InvalidInput
from alweb.images.archives import is_zip, member_read, zip_open
from alweb.images.decoding import Rejected
from alweb.images.models import Image
from alweb.images.services import CREATED, DUPLICATE, REJECTED, TooManyFiles, image_boxes_set, images_ingest
from alweb.interchange.coco_format import (
    MAX_ERRORS,
    CocoDocument,
    CocoImage,
    CocoInstance,
    coco_parse,
    instance_problem,
)
from alweb.projects.models import Project

# EXIF orientations 5-8 turn the image a quarter, so the upright width is the stored height.
QUARTER_TURNS = {5, 6, 7, 8}
MAX_NAMES_SHOWN = 20
IDS_PER_QUERY = 5000


@dataclass
class ImportReport:
    images_created: int = 0
    images_duplicate: int = 0
    annotations_created: int = 0  # labels: images labelled for the first time
    annotations_updated: int = 0  # labels replaced by a new version
    instances_imported: int = 0  # persons and crowd regions in those labels
    images_with_boxes: int = 0  # pool images given person boxes
    boxes_imported: int = 0
    skipped: list[dict] = field(default_factory=list)

    @property
    def annotations_skipped(self) -> int:
        return len(self.skipped)


def coco_import(*, project: Project, user, annotations: bytes, images_archive: BinaryIO | None = None) -> ImportReport:
    """Import a COCO keypoints file, with the zip of its images if given; store all of it or nothing.

    Without an archive, file names are matched against the names of the project's images.
    Labels go through annotation_save, so an image's earlier label is kept in its history;
    person boxes without keypoints go to unlabelled images only (see coco_parse).
    """
    document = coco_parse(raw=annotations, num_keypoints=project.num_keypoints)
    if images_archive is not None:
        _archive_holds_all(images_archive, document=document)
    report = ImportReport()
    written: list[str] = []
    try:
        with transaction.atomic():
            if images_archive is None:
                images = _images_in_project(project, document=document)
            else:
                images = _images_from_archive(
                    project, images_archive, document=document, report=report, written=written
                )
            labels, boxes = _contents_checked(
                document, images=images, archive=images_archive, num_keypoints=project.num_keypoints
            )
            for image, instances in labels:
                _, created = annotation_save(image=image, user=user, instances=instances, if_match="*")
                if created:
                    report.annotations_created += 1
                else:
                    report.annotations_updated += 1
                report.instances_imported += len(instances)
            for image, image_boxes in _unlabelled_only(boxes, report=report):
                image_boxes_set(image=image, boxes=image_boxes)
                report.images_with_boxes += 1
                report.boxes_imported += len(image_boxes)
    except BaseException:
        # The rows are rolled back; the files images_ingest wrote for them must go too.
        for name in written:
            default_storage.delete(name)
        raise
    return report


def _archive_holds_all(archive: BinaryIO, *, document: CocoDocument) -> None:
    """Check, before anything is stored, that the archive is a zip naming every image of the file."""
    if not is_zip(archive.read(4)):
        raise InvalidInput({"images": "Send the images as one zip archive."})
    archive.seek(0)
    try:
        opened, members = zip_open(archive)
    except Rejected as error:
        raise InvalidInput({"images": error.reason}) from None
    opened.close()
    archive.seek(0)
    names = Counter(info.filename for info in members)
    repeated = sorted(name for name, count in names.items() if count > 1)
    if repeated:
        raise InvalidInput({"images": f"The archive holds several members named {_some(repeated)}."})
    missing = [image.file_name for image in document.images if image.file_name not in names]
    if missing:
        raise InvalidInput({"images": f"The archive lacks {len(missing)} image(s) of the file: {_some(missing)}."})


def _images_from_archive(
    project: Project, archive: BinaryIO, *, document: CocoDocument, report: ImportReport, written: list[str]
) -> dict[str, Image]:
    try:
        results = images_ingest(project=project, files=[("images.zip", archive)])
    except TooManyFiles as error:
        raise InvalidInput(
            {
                "images": f"{error.detail} For a larger set, upload the images first "
                "(python -m alweb.client upload) and import the COCO file alone."
            }
        ) from None
    written.extend(result.image.file.name for result in results if result.status == CREATED)
    rejected = [f"{result.name}: {result.reason}" for result in results if result.status == REJECTED]
    if rejected:
        raise InvalidInput(
            {
                "images": [
                    f"{len(rejected)} file(s) of the archive were rejected; nothing was stored.",
                    *rejected[:MAX_ERRORS],
                ]
            }
        )
    report.images_created = sum(result.status == CREATED for result in results)
    report.images_duplicate = sum(result.status == DUPLICATE for result in results)
    by_name = {result.name: result.image for result in results}
    return {image.file_name: by_name[image.file_name] for image in document.images}


def _images_in_project(project: Project, *, document: CocoDocument) -> dict[str, Image]:
    wanted = {image.file_name for image in document.images}
    ids_by_name: dict[str, list[int]] = {}
    for image_id, name in Image.objects.filter(project=project).values_list("id", "name").iterator(chunk_size=5000):
        if name in wanted:
            ids_by_name.setdefault(name, []).append(image_id)
    missing = sorted(wanted - ids_by_name.keys())
    if missing:
        raise InvalidInput(
            {
                "images": f"The project has no image named {_some(missing)}; "
                "upload them first or send them as a zip in 'images'."
            }
        )
    ambiguous = sorted(name for name, ids in ids_by_name.items() if len(ids) > 1)
    if ambiguous:
        raise InvalidInput(
            {
                "images": f"Several of the project's images are named {_some(ambiguous)}; "
                "send the images as a zip in 'images' instead."
            }
        )
    stored = Image.objects.select_related("project").in_bulk([ids[0] for ids in ids_by_name.values()])
    return {name: stored[ids[0]] for name, ids in ids_by_name.items()}


def _contents_checked(
    document: CocoDocument, *, images: dict[str, Image], archive: BinaryIO | None, num_keypoints: int
) -> tuple[list[tuple[Image, list[dict]]], list[tuple[Image, CocoImage, list[CocoInstance]]]]:
    """Pair each label and each image's boxes with its stored image, checking them against what was stored."""
    errors, labels, boxes, claimed = [], [], [], {}
    for coco_image in document.images:
        instances = document.labels.get(coco_image.id, document.boxes.get(coco_image.id))
        if instances is None:
            continue
        image = images[coco_image.file_name]
        if image.pk in claimed:
            errors.append(
                f"{coco_image.file_name} and {claimed[image.pk]} have the same content, "
                "so they are one image, and both have annotations."
            )
            continue
        claimed[image.pk] = coco_image.file_name
        problem = _size_problem(coco_image, image=image, archive=archive)
        if problem is not None:
            errors.append(f"{coco_image.file_name}: {problem}")
        elif problem := _instances_problem(instances, coco_image=coco_image, image=image, num_keypoints=num_keypoints):
            errors.append(problem)
        elif coco_image.id in document.labels:
            labels.append(
                (image, [instance.as_instance(width=image.width, height=image.height) for instance in instances])
            )
        else:
            boxes.append((image, coco_image, instances))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise InvalidInput({"annotations": errors})
    return labels, boxes


def _instances_problem(
    instances: list[CocoInstance], *, coco_image: CocoImage, image: Image, num_keypoints: int
) -> str | None:
    """Why an instance does not fit the stored (upright) image, naming its annotation and field; None if all fit."""
    for instance in instances:
        message = instance_problem(instance, num_keypoints=num_keypoints, sizes=[(image.width, image.height)])
        if message:
            return f"annotations[{instance.index}] ({coco_image.file_name}): {message}"
    return None


def _unlabelled_only(
    boxes: list[tuple[Image, CocoImage, list[CocoInstance]]], *, report: ImportReport
) -> list[tuple[Image, list[list]]]:
    """The person boxes of images without a label; those of a labelled image are skipped, its label left as it is."""
    labelled = set()
    for start in range(0, len(boxes), IDS_PER_QUERY):
        ids = [image.pk for image, _, _ in boxes[start : start + IDS_PER_QUERY]]
        labelled.update(Annotation.objects.filter(image_id__in=ids).values_list("image_id", flat=True))
    kept = []
    for image, coco_image, instances in boxes:
        if image.pk not in labelled:
            kept.append(
                (
                    image,
                    [instance.as_instance(width=image.width, height=image.height)["bbox"] for instance in instances],
                )
            )
            continue
        report.skipped.extend(
            {
                "id": instance.annotation_id,
                "image_id": coco_image.id,
                "reason": "A box without labelled keypoints on an image that has a label: the label is left "
                "as it is, since boxes are kept for unlabelled images only.",
            }
            for instance in instances
        )
    return kept


def _size_problem(coco_image: CocoImage, *, image: Image, archive: BinaryIO | None) -> str | None:
    """Why the stored image's size does not fit the file's, or None.

    A file may size an EXIF-rotated JPEG as stored (sideways) while its points refer to
    the upright image, which is what the pool holds: such a swap is accepted.
    """
    if (coco_image.width, coco_image.height) == (image.width, image.height):
        return None
    turned = (coco_image.width, coco_image.height) == (image.height, image.width)
    if turned and archive is not None and _orientation(archive, member=coco_image.file_name) in QUARTER_TURNS:
        return None
    return (
        f"the file sizes it {coco_image.width}x{coco_image.height} but the image is "
        f"{image.width}x{image.height} upright, so its points would be misplaced."
    )


def _orientation(archive: BinaryIO, *, member: str) -> int:
    archive.seek(0)
    opened, members = zip_open(archive)
    try:
        info = next(info for info in members if info.filename == member)
        with PILImage.open(io.BytesIO(member_read(opened, info))) as picture:
            return picture.getexif().get(ExifTags.Base.Orientation, 1)
    finally:
        opened.close()


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    return shown if len(names) <= MAX_NAMES_SHOWN else f"{shown} and {len(names) - MAX_NAMES_SHOWN} more"
