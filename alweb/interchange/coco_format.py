"""Parse a COCO keypoints document and check it against a project before anything is stored."""

import json
import re
from collections import Counter
from dataclasses import dataclass

from django.conf import settings

from alweb.annotations.instances import MAX_INSTANCES, validate_instances
from alweb.errors import InvalidInput
from alweb.images.boxes import whole_image_box
from alweb.numbers import is_number

MAX_ERRORS = 20
MAX_NAME_LENGTH = 255
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class CocoImage:
    id: int
    file_name: str
    width: int
    height: int
    # Our extension (COCO readers ignore it): the image was checked and no one is in it.
    no_people: bool = False


@dataclass(frozen=True)
class CocoInstance:
    """One annotation of the file as given: a person (iscrowd 0) or a crowd region (iscrowd 1)."""

    index: int  # its place in the file's "annotations", to name it in messages
    annotation_id: int
    bbox: list | None  # [x, y, w, h] as given; None when the file gives none: the whole image
    points: list  # [[x, y, v], ...] in the skeleton's order; all [0, 0, 0] when the file gives no keypoints
    iscrowd: int = 0
    segmentation: list | dict | None = None  # polygons or RLE, kept verbatim; None when the file gives none

    @property
    def labelled(self) -> bool:
        return any(v > 0 for _, _, v in self.points)

    def as_instance(self, *, width: int, height: int) -> dict:
        """The instance to store on an image of this (upright) size, before its checks."""
        bbox = whole_image_box(width=width, height=height) if self.bbox is None else self.bbox
        instance = {"bbox": bbox, "keypoints": self.points}
        if self.iscrowd:
            instance["iscrowd"] = 1
        if self.iscrowd or self.segmentation is not None:
            instance["segmentation"] = self.segmentation
        return instance


@dataclass
class CocoDocument:
    """What the file asks for, per COCO image id: a label, or person boxes of a pool image."""

    images: list[CocoImage]
    labels: dict[int, list[CocoInstance]]  # the label's instances in file order; [] says no one is there
    boxes: dict[int, list[CocoInstance]]  # boxes without labelled keypoints: the image stays in the pool


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
    """Return what the file asks for each image, or raise InvalidInput listing what is wrong.

    An image with a labelled keypoint (v > 0) or a crowd region gets a label holding every
    annotation of the image as an instance, in file order; one whose annotations are all boxes
    without labelled keypoints (a detector's) keeps them as person boxes and stays in the pool;
    one without annotations gets an empty label only if it says "no_people": true.
    """
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
    by_id = {image.id: image for image in images}
    grouped: dict[int, list[CocoInstance]] = {}
    seen_annotation_ids = set()
    for index, annotation in enumerate(document["annotations"]):
        instance = _check_annotation(
            annotation,
            index=index,
            by_id=by_id,
            category_ids=category_ids,
            num_keypoints=num_keypoints,
            seen_ids=seen_annotation_ids,
            errors=errors,
        )
        if instance is None:
            continue
        image = by_id[annotation["image_id"]]
        instances = grouped.setdefault(image.id, [])
        instances.append(instance)
        if len(instances) == MAX_INSTANCES + 1:
            errors.add(
                f"image {image.id} ({image.file_name}) has more than {MAX_INSTANCES} annotations; "
                f"an image holds at most {MAX_INSTANCES} persons."
            )
    errors.raise_if_any()
    parsed = CocoDocument(images=images, labels={}, boxes={})
    for image in images:
        instances = grouped.get(image.id, [])
        if image.no_people and instances:
            errors.add(f'image {image.id} ({image.file_name}) says "no_people" but has {len(instances)} annotation(s).')
        elif any(instance.labelled or instance.iscrowd for instance in instances):
            parsed.labels[image.id] = instances
        elif instances:
            parsed.boxes[image.id] = instances
        elif image.no_people:
            # Only our own marker means "checked, no one there": tools such as CVAT list the images
            # nobody annotated without annotations too, and those stay unlabelled in the pool.
            parsed.labels[image.id] = []
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
        no_people = image.get("no_people", False)
        if not isinstance(no_people, bool):
            errors.add(f"{where}.no_people ({name}) must be true or false.")
            continue
        checked.append(CocoImage(id=image["id"], file_name=name, width=width, height=height, no_people=no_people))
    return checked


def _check_annotation(
    annotation, *, index: int, by_id: dict, category_ids: set, num_keypoints: int, seen_ids: set, errors: _Errors
) -> CocoInstance | None:
    where = f"annotations[{index}]"
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
    iscrowd = annotation.get("iscrowd", 0)
    if not (_is_int(iscrowd) and iscrowd in (0, 1)):
        errors.add(f"{where}.iscrowd ({image.file_name}) must be 0 or 1, got {iscrowd!r}.")
        return None
    # A detector's box has no keypoints (some tools write []): its points are all unlabelled.
    flat = annotation.get("keypoints") or [0, 0, 0] * num_keypoints
    if not isinstance(flat, list) or len(flat) != 3 * num_keypoints:
        got = len(flat) if isinstance(flat, list) else "no list of"
        errors.add(
            f"{where} ({image.file_name}) has {got} keypoint values; this project's skeleton needs "
            f"{3 * num_keypoints} ({num_keypoints} points as x, y, v)."
        )
        return None
    instance = CocoInstance(
        index=index,
        annotation_id=annotation["id"],
        bbox=_given_box(annotation.get("bbox")),
        points=[flat[i : i + 3] for i in range(0, len(flat), 3)],
        iscrowd=iscrowd,
        # A person's outline is kept when the file has one; an empty one is no outline.
        segmentation=annotation.get("segmentation") or None,
    )
    if "bbox" in annotation and instance.bbox is None:
        errors.add(f"{where} ({image.file_name}): bbox must be [x, y, width, height].")
        return None
    message = instance_problem(instance, num_keypoints=num_keypoints, sizes=_sizes_of(image))
    if message:
        errors.add(f"{where} ({image.file_name}): {message}")
        return None
    return instance


def _sizes_of(image: CocoImage) -> list[tuple[int, int]]:
    """The image's size as the file gives it, then turned a quarter.

    A file may give the size of a JPEG as stored while its points refer to the upright
    image (EXIF orientation); the import checks them again against the stored image.
    """
    return [(image.width, image.height), (image.height, image.width)]


def instance_problem(instance: CocoInstance, *, num_keypoints: int, sizes: list[tuple[int, int]]) -> str | None:
    """Why the instance fits an image of none of these (width, height) sizes, naming its field; None if it fits one."""
    first_message = None
    for width, height in sizes:
        try:
            validate_instances(
                [instance.as_instance(width=width, height=height)],
                num_keypoints=num_keypoints,
                width=width,
                height=height,
            )
        except InvalidInput as error:
            first_message = first_message or error.first_message.removeprefix("instances[0].")
        else:
            return None
    return first_message


def _given_box(bbox):
    """The box as the file gives it, or None for the whole image.

    Exports of one skeleton per image, this product's older ones included, wrote the box
    spanning the labelled points, [0, 0, 0, 0] when none was: a box without width or height
    there meant the image, and so does a missing box.
    """
    if isinstance(bbox, list) and len(bbox) == 4 and all(is_number(c) for c in bbox) and 0 in (bbox[2], bbox[3]):
        return None
    return bbox
