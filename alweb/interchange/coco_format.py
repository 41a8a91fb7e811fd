"""Parse a COCO keypoints document and check it against a project before anything is stored."""

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings

from alweb.annotations.validation import validate_keypoints
from alweb.errors import InvalidInput

MAX_ERRORS = 20
MAX_NAME_LENGTH = 255
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class CocoImage:
    id: int
    file_name: str
    width: int
    height: int


@dataclass(frozen=True)
class CocoLabel:
    annotation_id: int
    points: list  # [[x, y, v], ...] in the skeleton's order


@dataclass
class CocoDocument:
    images: list[CocoImage]
    labels: dict[int, CocoLabel]  # COCO image id -> the image's label
    skipped: list[dict] = field(default_factory=list)


class _Errors:
    """Collect the first problems of a document, so that one answer lists several."""

    def __init__(self, field_name: str):
        self.field_name, self.messages = field_name, []

    def add(self, message: str) -> None:
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise InvalidInput({self.field_name: self.messages})


def coco_parse(*, raw: bytes, num_keypoints: int, field_name: str = "annotations") -> CocoDocument:
    """Return the document's images and one label per image, or raise InvalidInput listing what is wrong."""
    errors = _Errors(field_name)
    document = _load_json(raw=raw, field_name=field_name)
    for key in ("images", "annotations"):
        if not isinstance(document.get(key), list):
            errors.add(f'A COCO keypoints file needs an "{key}" list.')
    if "categories" in document and not isinstance(document["categories"], list):
        errors.add('"categories" must be a list.')
    errors.raise_if_any()
    category_ids = _check_categories(document.get("categories", []), num_keypoints=num_keypoints, errors=errors)
    images = _check_images(document["images"], errors=errors)
    errors.raise_if_any()
    parsed = CocoDocument(images=images, labels={})
    by_id = {image.id: image for image in images}
    seen_annotation_ids = set()
    for index, annotation in enumerate(document["annotations"]):
        label = _check_annotation(
            annotation,
            where=f"annotations[{index}]",
            by_id=by_id,
            category_ids=category_ids,
            num_keypoints=num_keypoints,
            seen_ids=seen_annotation_ids,
            errors=errors,
        )
        if label is None:
            continue
        image_id = annotation["image_id"]
        if image_id in parsed.labels:
            parsed.skipped.append(
                {
                    "id": label.annotation_id,
                    "image_id": image_id,
                    "reason": "The image already has a label earlier in the file; an image holds one label.",
                }
            )
        else:
            parsed.labels[image_id] = label
    errors.raise_if_any()
    return parsed


def unsafe_name_reason(name: str) -> str | None:
    """Why a file name cannot name an image inside an archive, or None if it can."""
    if "\x00" in name:
        return "contains a NUL character"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or WINDOWS_DRIVE.match(normalized):
        return "is an absolute path"
    if ".." in normalized.split("/"):
        return 'leaves its folder with ".."'
    return None


class _TooMany(Exception):
    def __init__(self, kind: str, limit: int):
        super().__init__(kind)
        self.kind, self.limit = kind, limit


def _count_limits() -> dict[str, int]:
    return {"images": settings.COCO_IMPORT_MAX_IMAGES, "annotations": settings.COCO_IMPORT_MAX_ANNOTATIONS}


def _load_json(*, raw: bytes, field_name: str) -> dict:
    """Parse the file within the import's limits: its size first, then its images and annotations as they parse."""
    max_bytes = settings.COCO_IMPORT_MAX_BYTES
    if len(raw) > max_bytes:
        raise InvalidInput({field_name: f"The file is larger than the limit of {max_bytes:,} bytes."})
    limits, counts = _count_limits(), Counter()

    def counted(item: dict) -> dict:
        # Called for every object as it is parsed, so a file with too many stops early.
        kind = "annotations" if "image_id" in item else "images" if "file_name" in item else None
        if kind is not None:
            counts[kind] += 1
            if counts[kind] > limits[kind]:
                raise _TooMany(kind, limits[kind])
        return item

    try:
        document = json.loads(raw, object_hook=counted)
    except _TooMany as too_many:
        raise InvalidInput({field_name: _too_many_message(too_many.kind, too_many.limit)}) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInput({field_name: "The file is not valid JSON."}) from None
    if not isinstance(document, dict):
        raise InvalidInput({field_name: "A COCO keypoints file is a JSON object with images and annotations."})
    for kind, limit in limits.items():
        if isinstance(document.get(kind), list) and len(document[kind]) > limit:
            raise InvalidInput({field_name: _too_many_message(kind, limit)})
    return document


def _too_many_message(kind: str, limit: int) -> str:
    return f"The file lists more than {limit:,} {kind}, the import's limit; split it into several imports."


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_categories(categories: list, *, num_keypoints: int, errors: _Errors) -> set[int]:
    ids = set()
    for index, category in enumerate(categories):
        where = f"categories[{index}]"
        if not isinstance(category, dict) or not _is_int(category.get("id")):
            errors.add(f"{where} must be an object with an integer id.")
            continue
        ids.add(category["id"])
        names = category.get("keypoints")
        if names is not None and (not isinstance(names, list) or len(names) != num_keypoints):
            got = len(names) if isinstance(names, list) else "no list of"
            errors.add(f"{where} has {got} keypoints; this project's skeleton has {num_keypoints}.")
    return ids


def _check_images(images: list, *, errors: _Errors) -> list[CocoImage]:
    checked, ids, names = [], set(), set()
    for index, image in enumerate(images):
        where = f"images[{index}]"
        if not isinstance(image, dict):
            errors.add(f"{where} must be an object.")
            continue
        if not _is_int(image.get("id")):
            errors.add(f"{where}.id must be an integer.")
            continue
        if image["id"] in ids:
            errors.add(f"{where}.id {image['id']} appears twice.")
            continue
        ids.add(image["id"])
        name = image.get("file_name")
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
            errors.add(f"{where}.file_name must be a name of 1 to {MAX_NAME_LENGTH} characters.")
            continue
        reason = unsafe_name_reason(name)
        if reason:
            errors.add(f"{where}.file_name {name!r} {reason}; use a path relative to the archive.")
            continue
        if name in names:
            errors.add(f"{where}.file_name {name!r} appears twice.")
            continue
        names.add(name)
        width, height = image.get("width"), image.get("height")
        if not (_is_int(width) and _is_int(height) and width > 0 and height > 0):
            errors.add(f"{where} ({name}) needs positive integer width and height.")
            continue
        checked.append(CocoImage(id=image["id"], file_name=name, width=width, height=height))
    return checked


def _check_annotation(
    annotation, *, where: str, by_id: dict, category_ids: set, num_keypoints: int, seen_ids: set, errors: _Errors
) -> CocoLabel | None:
    if not isinstance(annotation, dict) or not _is_int(annotation.get("id")):
        errors.add(f"{where} must be an object with an integer id.")
        return None
    if annotation["id"] in seen_ids:
        errors.add(f"{where}.id {annotation['id']} appears twice.")
        return None
    seen_ids.add(annotation["id"])
    image = by_id.get(annotation.get("image_id")) if _is_int(annotation.get("image_id")) else None
    if image is None:
        errors.add(f"{where}.image_id {annotation.get('image_id')!r} matches no image in the file.")
        return None
    category_id = annotation.get("category_id")
    if category_ids and "category_id" in annotation and not (_is_int(category_id) and category_id in category_ids):
        errors.add(f"{where}.category_id {annotation.get('category_id')!r} matches no category in the file.")
        return None
    flat = annotation.get("keypoints")
    if not isinstance(flat, list) or len(flat) != 3 * num_keypoints:
        got = len(flat) if isinstance(flat, list) else "no list of"
        errors.add(
            f"{where} ({image.file_name}) has {got} keypoint values; this project's skeleton needs "
            f"{3 * num_keypoints} ({num_keypoints} points as x, y, v)."
        )
        return None
    points = [flat[i : i + 3] for i in range(0, len(flat), 3)]
    try:
        cleaned = _points_within(points, image=image, num_keypoints=num_keypoints)
    except InvalidInput as error:
        errors.add(f"{where} ({image.file_name}): {first_message(error)}")
        return None
    return CocoLabel(annotation_id=annotation["id"], points=cleaned)


def _points_within(points: list, *, image: CocoImage, num_keypoints: int) -> list:
    """Check the points against the image as the file sizes it, or turned a quarter.

    A file may give the size of a JPEG as stored while its points refer to the upright
    image (EXIF orientation); the import checks them again against the stored image.
    """
    first_error = None
    for width, height in ((image.width, image.height), (image.height, image.width)):
        try:
            return validate_keypoints(keypoints=points, num_keypoints=num_keypoints, width=width, height=height)
        except InvalidInput as error:
            first_error = first_error or error
    raise first_error


def first_message(error: InvalidInput) -> str:
    """The first message of a InvalidInput, whatever shape its detail has."""
    detail = error.detail
    if isinstance(detail, dict):
        detail = next(iter(detail.values()))
    if isinstance(detail, list):
        detail = detail[0]
    return str(detail)
