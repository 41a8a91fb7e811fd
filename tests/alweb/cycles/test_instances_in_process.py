"""Several people per image through a cycle run in this process: train on instances, score every
person box, rank images by their worst instance, and measure a multi-person label."""

import numpy as np
import pytest

from alweb.annotations.services import annotation_save
from alweb.cycles import dispatch, pipeline, services
from alweb.cycles.leases import CycleInterrupted
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.shapes import RANDOM, RANDOM_NO_FILE
from alweb.demo.scenes import demo_scenes_seed
from alweb.projects.models import Project
from alweb.queue.models import QueueEntry
from alweb.queue.services import lease_next

pytestmark = pytest.mark.django_db(transaction=True)
State = Cycle.State
POOL, BUDGET = 4, 2


@pytest.fixture
def scenes(admin_user, annotator_user):
    from alweb.projects.services import membership_set

    demo_scenes_seed(counts={"train": 4, "val": 1, "pool": POOL}, admin=admin_user)
    project = Project.objects.get(name="Demo: synthetic scenes")
    membership_set(project=project, username=annotator_user.username, role="annotator")
    return project


def run_cycle(project, sent, *, model_name: str = "hg-tiny") -> Cycle:
    cycle = services.cycle_start(
        project=project, strategy="ll_plus_plus", budget=BUDGET, epochs=1, head_epochs=0, model_name=model_name
    )
    sent.take(dispatch.CYCLE_TRAIN)
    pipeline.cycle_train(cycle_id=cycle.id, worker="worker-a")
    for cycle_id, version_id, image_ids in sent.take(dispatch.CYCLE_SCORE_CHUNK):
        pipeline.cycle_score_chunk(cycle_id=cycle_id, model_version_id=version_id, image_ids=image_ids)
    cycle.refresh_from_db()
    return cycle


def test_every_person_box_is_scored_and_an_image_ranks_by_its_worst_person(scenes, sent):
    cycle = run_cycle(scenes, sent)
    assert cycle.state == State.READY, cycle.error
    version = ModelVersion.objects.get(cycle=cycle)
    assert version.metrics["starting_weights"] == RANDOM

    scores = Score.objects.filter(model_version=version).select_related("image")
    assert scores.count() == POOL
    for score in scores:
        losses = [instance["predicted_loss"] for instance in score.instances]
        assert len(score.instances) == len(score.image.boxes)
        assert losses == sorted(losses, reverse=True) and score.predicted_loss == losses[0]
        assert [[x, y] for x, y, _ in score.instances[0]["keypoints"]] == score.keypoints
        boxes = {tuple(round(c, 2) for c in box) for box in score.image.boxes}
        assert {tuple(instance["bbox"]) for instance in score.instances} == boxes

    entries = QueueEntry.objects.filter(cycle=cycle).order_by("rank")
    assert entries.count() == BUDGET
    for entry in entries:
        assert entry.instances == Score.objects.get(model_version=version, image=entry.image).instances
        assert entry.predicted_loss == entry.instances[0]["predicted_loss"]


def test_a_labelled_scene_is_measured_by_its_worst_person_and_crowds_are_not_trained_on(scenes, sent, annotator_user):
    from alweb.cycles.labelled_data import labelled_set

    assert run_cycle(scenes, sent).state == State.READY
    entry = lease_next(project=scenes, user=annotator_user)
    image = entry.image
    people = [
        {"bbox": [x, y, w, h], "keypoints": [[x + w * (k + 1) / 16, y + h * (k + 1) / 16, 2] for k in range(14)]}
        for x, y, w, h in image.boxes
    ]
    crowd = {"bbox": [0, 0, 20, 20], "iscrowd": 1, "segmentation": [[0, 0, 20, 0, 20, 20]]}
    unlabelled = {"bbox": [0, 0, 30, 30], "keypoints": [[0, 0, 0]] * 14}
    annotation_save(image=image, user=annotator_user, instances=[*people, crowd, unlabelled], if_match=None)

    data = labelled_set(type(image).objects.filter(pk=image.pk).select_related("annotation"), num_keypoints=14)
    # Only the people with a labelled point teach the network.
    assert data.image_ids == [image.id] * len(people)
    assert np.allclose(data.boxes, np.array([p["bbox"] for p in people]))

    for (entry_id,) in sent.take(dispatch.LABEL_OUTCOME_RECORD):
        pipeline.label_outcome_record(entry_id=entry_id)
    entry.refresh_from_db()
    assert entry.realized_loss is not None and entry.realized_loss >= 0


def test_no_people_is_not_measured(scenes, sent, annotator_user):
    cycle = run_cycle(scenes, sent)
    assert cycle.state == State.READY
    entry = lease_next(project=scenes, user=annotator_user)
    annotation_save(image=entry.image, user=annotator_user, instances=[], if_match=None)
    for (entry_id,) in sent.take(dispatch.LABEL_OUTCOME_RECORD):
        pipeline.label_outcome_record(entry_id=entry_id)
    entry.refresh_from_db()
    assert entry.state == QueueEntry.State.DONE and entry.realized_loss is None


def test_a_resnet_without_backbone_weights_says_it_starts_from_random_values(scenes, sent, settings, monkeypatch):
    settings.BACKBONE_WEIGHTS = None
    cycle = services.cycle_start(
        project=scenes, strategy="ll_plus_plus", budget=BUDGET, epochs=1, head_epochs=0, model_name="resnet18-simple"
    )
    reports = []
    original = services.cycle_progress_report

    def first_report_then_cancel(*, cycle, progress):
        reports.append(progress)
        original(cycle=cycle, progress=progress)
        # What the dashboard shows is the first report; the rest of a ResNet's training is slow on CPU.
        raise CycleInterrupted("enough")

    monkeypatch.setattr(services, "cycle_progress_report", first_report_then_cancel)
    sent.take(dispatch.CYCLE_TRAIN)
    pipeline.cycle_train(cycle_id=cycle.id, worker="worker-a")
    assert [report.starting_weights for report in reports] == [RANDOM_NO_FILE]
    cycle.refresh_from_db()
    assert cycle.progress["starting_weights"] == RANDOM_NO_FILE
