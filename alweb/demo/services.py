"""Seed the demo through the product's own services; running it again adds only what is missing."""

import io
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from PIL import Image as PILImage

from alweb.annotations.services import annotation_save
from alweb.cycles.models import Cycle
from alweb.cycles.services import cycle_start
from alweb.images.services import images_ingest
from alweb.projects.models import Project
from alweb.projects.services import membership_set, project_create
from ml import synthetic

PROJECT_NAME = "Demo: synthetic people"
PRESET = "lsp14"
IMAGE_SIZE = 128
UPLOAD_BATCH = 50
# Measured (docs/results/demo_preset.md): 1,000 labelled images for 6 epochs at lr 2e-3 with a
# cosine decay learn about three times more than 200 for 8, and still rank the pool within minutes.
FIRST_CYCLE_EPOCHS = 6
FIRST_CYCLE_BUDGET = 50
# Each split draws from its own random stream, so that changing one size leaves the others alone.
SPLIT_SEED_OFFSETS = {"pool": 0, "train": 1, "val": 2}


@dataclass
class SeedReport:
    users_created: list[str] = field(default_factory=list)
    # Accounts that existed already and whose password is not the stored one: it was left alone.
    passwords_kept: list[str] = field(default_factory=list)
    project_created: bool = False
    images_created: dict[str, int] = field(default_factory=dict)
    labels_created: int = 0


def demo_seed(*, passwords: dict[str, str], pool: int, train: int, val: int, seed: int = 0) -> SeedReport:
    """Create the accounts, the project and its images (train and val with their true labels)."""
    report = SeedReport()
    # Staff: the demo's admin creates projects too (ALWEB_PROJECT_CREATORS defaults to staff).
    admin = _user_ensure(username="admin", password=passwords["admin"], staff=True, report=report)
    _user_ensure(username="annotator", password=passwords["annotator"], report=report)
    project = _project_ensure(admin=admin, report=report)
    for split, count in (("train", train), ("val", val), ("pool", pool)):
        synthetic_split_ensure(project=project, user=admin, split=split, count=count, seed=seed, report=report)
    return report


@transaction.atomic
def _user_ensure(*, username: str, password: str, report: SeedReport, staff: bool = False):
    """Create the user with the stored password; an existing account keeps the password it has.

    Seeding runs against whatever database is configured: resetting an existing account's
    password would hand it to whoever can read the demo's credentials file.
    """
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": staff})
    if created:
        report.users_created.append(username)
        user.set_password(password)
        user.save(update_fields=["password"])
    elif not user.check_password(password):
        report.passwords_kept.append(username)
    if staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def _project_ensure(*, admin, report: SeedReport) -> Project:
    project = Project.objects.filter(name=PROJECT_NAME).order_by("id").first()
    if project is None:
        project = project_create(user=admin, name=PROJECT_NAME, preset=PRESET)
        report.project_created = True
    membership_set(project=project, username="annotator", role="annotator")
    return project


def synthetic_split_ensure(
    *, project: Project, user, split: str, count: int, seed: int = 0, report: SeedReport | None = None
) -> None:
    """Upload the split's missing images; label the train and val images that have no label."""
    report = report or SeedReport()
    names = [f"{split}-{index:04d}.png" for index in range(count)]
    images = project.images.filter(split=split, name__in=names)
    present = set(images.values_list("name", flat=True))
    needs_label = split != "pool"
    unlabelled = set(images.filter(annotation__isnull=True).values_list("name", flat=True)) if needs_label else set()
    missing = [name for name in names if name not in present]
    if not missing and not unlabelled:
        return
    sample = synthetic.generate(count, seed=seed + SPLIT_SEED_OFFSETS[split], size=IMAGE_SIZE)
    created = demo_upload(project=project, split=split, names=missing, pixels=dict(zip(names, sample.images)))
    report.images_created[split] = len(created)
    if not needs_label:
        return
    to_label = project.images.filter(split=split, name__in=unlabelled | set(created), annotation__isnull=True)
    index_of = {name: index for index, name in enumerate(names)}
    for image in to_label:
        index = index_of[image.name]
        keypoints = demo_label(
            sample.keypoints[index], sample.visibility[index], width=image.width, height=image.height
        )
        annotation_save(image=image, user=user, keypoints=keypoints, if_match=None)
        report.labels_created += 1


def demo_upload(*, project: Project, split: str, names: list[str], pixels: dict[str, np.ndarray]) -> list[str]:
    """Send the images through the ingest service in batches; returns the names it created."""
    created = []
    for start in range(0, len(names), UPLOAD_BATCH):
        batch = names[start : start + UPLOAD_BATCH]
        files = [(name, _encoded(pixels[name], name=name)) for name in batch]
        for name, result in zip(batch, images_ingest(project=project, files=files, split=split)):
            if result.status == "rejected":
                raise RuntimeError(f"The image service rejected the generated image {name}: {result}")
            if result.status == "created":
                created.append(name)
    return created


def _encoded(pixels: np.ndarray, *, name: str) -> io.BytesIO:
    """Encode a uint8 [H, W, 3] array as a file object, PNG or JPEG by the name's suffix."""
    buffer = io.BytesIO()
    if name.endswith(".jpg"):
        PILImage.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    else:
        PILImage.fromarray(pixels).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def demo_label(points: np.ndarray, visibility: np.ndarray, *, width: int, height: int) -> list[list]:
    """[[x, y, v], ...] from [K, 2] points and [K] COCO visibility; a v = 0 point is [0, 0, 0]."""
    label = []
    for (x, y), v in zip(points.tolist(), visibility.tolist()):
        if v == 0:
            label.append([0.0, 0.0, 0])
        else:
            # A joint counts as visible up to half a pixel past the border; keep it on the image.
            label.append([min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height)), int(v)])
    return label


def synthetic_label_for(image, *, seed: int = 0) -> list[list] | None:
    """The true label of a generated image, from its name (split-NNNN.png); None for other images."""
    split, _, rest = image.name.partition("-")
    index = rest.removesuffix(".png")
    if split not in SPLIT_SEED_OFFSETS or not index.isdigit():
        return None
    _, points, visibility = synthetic.render_one(
        np.random.default_rng([seed + SPLIT_SEED_OFFSETS[split], int(index)]), IMAGE_SIZE
    )
    return demo_label(points, visibility, width=image.width, height=image.height)


def demo_first_cycle_ensure(
    *, project_name: str = PROJECT_NAME, epochs: int = FIRST_CYCLE_EPOCHS, budget: int = FIRST_CYCLE_BUDGET
):
    """Start a demo project's first cycle unless it has one, so that a ranked queue is soon ready."""
    project = Project.objects.filter(name=project_name).order_by("id").first()
    if project is None or Cycle.objects.filter(project=project).exists():
        return None
    return cycle_start(
        project=project,
        strategy="ll_plus_plus",
        budget=budget,
        epochs=epochs,
        head_epochs=settings.CYCLE_DEFAULT_HEAD_EPOCHS,
        audit_fraction=settings.CYCLE_DEFAULT_AUDIT_FRACTION,
        model_name="hg-tiny",
    )
