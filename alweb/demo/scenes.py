"""The second demo project: 640x480 scenes with one to four people each, so a newcomer sees
person boxes, several instances per image and the top-down crops at work."""

from django.contrib.auth import get_user_model
from django.db import transaction

from alweb.annotations.services import annotation_save
from alweb.cycles.models import Cycle
from alweb.demo.services import PRESET, PROJECT_NAME, SeedReport, demo_first_cycle_ensure, demo_label, demo_upload
from alweb.images.services import image_boxes_set
from alweb.projects.models import Project
from alweb.projects.services import membership_set, project_create
from ml import synthetic

SCENES_PROJECT_NAME = "Demo: synthetic scenes"
SCENE_WIDTH, SCENE_HEIGHT = 640, 480
# Scenes hold 2.5 people on average: these give about 300 training and 50 validation persons.
SCENE_COUNTS = {"train": 120, "val": 20, "pool": 300}
FIRST_CYCLE_EPOCHS = 6
FIRST_CYCLE_BUDGET = 30
# Its own streams, apart from the first project's.
SCENE_SEED_OFFSETS = {"pool": 10, "train": 11, "val": 12}


def demo_scenes_seed(*, seed: int = 0, counts: dict[str, int] | None = None, admin=None) -> SeedReport:
    """Create the scenes project for `admin`, by default the demo's (demo_seed made it): train and val
    scenes labelled with every person, pool scenes with their person boxes (as a detector would
    give them). Running it again adds only what is missing."""
    report = SeedReport()
    admin = admin or get_user_model().objects.get(username="admin")
    project = Project.objects.filter(name=SCENES_PROJECT_NAME).order_by("id").first()
    if project is None:
        project = project_create(user=admin, name=SCENES_PROJECT_NAME, preset=PRESET)
        report.project_created = True
    if get_user_model().objects.filter(username="annotator").exists():
        membership_set(project=project, username="annotator", role="annotator")
    for split, count in (counts or SCENE_COUNTS).items():
        _scenes_split_ensure(project=project, user=admin, split=split, count=count, seed=seed, report=report)
    return report


def _scenes_split_ensure(*, project: Project, user, split: str, count: int, seed: int, report: SeedReport) -> None:
    names = [f"scene-{split}-{index:04d}.jpg" for index in range(count)]
    images = project.images.filter(split=split, name__in=names)
    present = set(images.values_list("name", flat=True))
    # Images a crashed run uploaded but did not label (or box) yet.
    unfinished = (
        images.filter(annotation__isnull=True, boxes=[]) if split == "pool" else images.filter(annotation__isnull=True)
    )
    missing = [name for name in names if name not in present]
    pending = set(missing) | set(unfinished.values_list("name", flat=True))
    if not pending:
        return
    scenes = synthetic.generate_scenes(
        count, seed=seed + SCENE_SEED_OFFSETS[split], width=SCENE_WIDTH, height=SCENE_HEIGHT
    )
    index_of = {name: index for index, name in enumerate(names)}
    created = demo_upload(
        project=project, split=split, names=missing, pixels={name: scenes.images[index_of[name]] for name in missing}
    )
    report.images_created[split] = len(created)
    for image in project.images.filter(split=split, name__in=pending):
        index = index_of[image.name]
        with transaction.atomic():
            if split == "pool":
                image_boxes_set(image=image, boxes=scenes.boxes[index].tolist())
                continue
            instances = [
                {
                    "bbox": box.tolist(),
                    "keypoints": demo_label(points, visibility, width=image.width, height=image.height),
                }
                for box, points, visibility in zip(
                    scenes.boxes[index], scenes.keypoints[index], scenes.visibility[index], strict=True
                )
            ]
            annotation_save(image=image, user=user, instances=instances, if_match=None)
            report.labels_created += 1


def demo_first_cycle_settled() -> bool:
    """Whether the first demo project's first cycle has finished (or stopped), so that the
    scenes project's cycle no longer delays its ranked queue on a one-worker demo."""
    first = Project.objects.filter(name=PROJECT_NAME).order_by("id").first()
    if first is None:
        return True
    settled = (Cycle.State.READY, Cycle.State.FAILED, Cycle.State.CANCELLED)
    return Cycle.objects.filter(project=first, state__in=settled).exists()


def demo_scenes_first_cycle_ensure():
    """Start the scenes project's first cycle unless it has one."""
    return demo_first_cycle_ensure(
        project_name=SCENES_PROJECT_NAME, epochs=FIRST_CYCLE_EPOCHS, budget=FIRST_CYCLE_BUDGET
    )
