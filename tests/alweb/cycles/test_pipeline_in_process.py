"""The cycle's orchestration run in this process: train, score, select, finish, recover, record outcomes.

No worker or broker: the messages the pipeline sends are recorded at Celery's send_task, and
each test delivers them by running the named task's function, as a worker would. The live
tests (test_cycle_end_to_end, test_cycle_faults) run the same code through real workers.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from alweb.annotations.services import annotation_save
from alweb.cycles import dispatch, pipeline, services
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.cycles.scoring import chunk_score
from alweb.demo.services import synthetic_label_for
from alweb.queue.models import QueueEntry
from alweb.queue.services import lease_next
from tests.alweb.cycles.in_process import SentTasks
from tests.alweb.cycles.seeding import seed_synthetic

pytestmark = pytest.mark.django_db(transaction=True)
State = Cycle.State
POOL = 6
BUDGET = 3


@pytest.fixture
def seeded(project, admin_user):
    seed_synthetic(project=project, user=admin_user, train=6, val=2, pool=POOL)
    return project


def start(project, *, strategy: str = "ll_plus_plus", audit_fraction: float = 0.0) -> Cycle:
    return services.cycle_start(
        project=project,
        strategy=strategy,
        budget=BUDGET,
        epochs=1,
        head_epochs=1,
        audit_fraction=audit_fraction,
        model_name="hg-tiny",
    )


def score_all(sent: SentTasks) -> None:
    for cycle_id, version_id, image_ids in sent.take(dispatch.CYCLE_SCORE_CHUNK):
        pipeline.cycle_score_chunk(cycle_id=cycle_id, model_version_id=version_id, image_ids=image_ids)


def trained(project, sent: SentTasks, **start_options) -> Cycle:
    """A cycle trained in this process and now waiting for its scoring chunks."""
    cycle = start(project, **start_options)
    assert sent.take(dispatch.CYCLE_TRAIN) == [[cycle.id]]
    pipeline.cycle_train(cycle_id=cycle.id, worker="worker-a")
    cycle.refresh_from_db()
    assert cycle.state == State.SCORING
    return cycle


def expire_lease(cycle: Cycle) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_cycle_trains_scores_in_chunks_and_fills_the_queue_once(seeded, sent):
    cycle = trained(seeded, sent)
    version = ModelVersion.objects.get(cycle=cycle)
    assert version.checkpoint and not version.is_active
    chunks = sent.named(dispatch.CYCLE_SCORE_CHUNK)
    assert sorted(i for _, _, ids in chunks for i in ids) == sorted(
        seeded.images.filter(split="pool").values_list("id", flat=True)
    )
    assert all(len(ids) <= 2 for _, _, ids in chunks)

    score_all(sent)

    cycle.refresh_from_db()
    assert cycle.state == State.READY
    assert cycle.progress["phase"] == "ready" and cycle.metrics["selected"] == BUDGET
    assert Score.objects.filter(model_version=version).count() == POOL
    entries = QueueEntry.objects.filter(cycle=cycle).order_by("rank")
    losses = [entry.predicted_loss for entry in entries]
    assert len(losses) == BUDGET and losses == sorted(losses, reverse=True)
    version.refresh_from_db()
    assert version.is_active
    # A late duplicate of the last chunk, or a second selection, changes nothing.
    assert pipeline.cycle_select(cycle_id=cycle.id) is False
    assert QueueEntry.objects.filter(cycle=cycle).count() == BUDGET


def test_recovery_sends_a_queued_cycle_again_once_its_message_may_be_lost(seeded, sent):
    cycle = start(seeded)
    sent.take(dispatch.CYCLE_TRAIN)
    assert pipeline.cycles_recover()["queued"] == 0
    expire_lease(cycle)

    assert pipeline.cycles_recover()["queued"] == 1
    assert pipeline.cycles_recover()["queued"] == 0
    assert sent.take(dispatch.CYCLE_TRAIN) == [[cycle.id]]


def test_recovery_hands_training_with_an_expired_lease_to_another_worker(seeded, sent):
    cycle = start(seeded)
    assert services.cycle_claim(cycle_id=cycle.id, worker="dead-worker") is not None
    sent.take(dispatch.CYCLE_TRAIN)
    expire_lease(cycle)

    assert pipeline.cycles_recover()["training"] == 1
    assert sent.take(dispatch.CYCLE_TRAIN) == [[cycle.id]]
    pipeline.cycle_train(cycle_id=cycle.id, worker="worker-b")
    cycle.refresh_from_db()
    assert cycle.state == State.SCORING and cycle.attempts == 2 and cycle.lease_owner == "worker-b"
    assert ModelVersion.objects.filter(cycle=cycle).count() == 1


def test_recovery_rescores_only_the_chunks_whose_scores_never_arrived(seeded, sent):
    cycle = trained(seeded, sent)
    first, *lost = sent.take(dispatch.CYCLE_SCORE_CHUNK)
    pipeline.cycle_score_chunk(cycle_id=first[0], model_version_id=first[1], image_ids=first[2])
    expire_lease(cycle)

    assert pipeline.cycles_recover()["scoring"] == 1
    resent = sent.named(dispatch.CYCLE_SCORE_CHUNK)
    assert sorted(i for _, _, ids in resent for i in ids) == sorted(i for _, _, ids in lost for i in ids)
    score_all(sent)
    cycle.refresh_from_db()
    assert cycle.state == State.READY


def test_recovery_finishes_a_selection_that_was_cut_short(seeded, sent):
    cycle = trained(seeded, sent)
    for _cycle_id, version_id, image_ids in sent.take(dispatch.CYCLE_SCORE_CHUNK):
        scores = chunk_score(version=ModelVersion.objects.get(pk=version_id), image_ids=image_ids)
        services.scores_upsert(version=ModelVersion.objects.get(pk=version_id), rows=scores.rows)
    # The worker moved the cycle to selecting and died before the queue was filled.
    assert services.cycle_selecting_start(cycle_id=cycle.id)
    assert not QueueEntry.objects.filter(cycle=cycle).exists()
    expire_lease(cycle)

    assert pipeline.cycles_recover()["selecting"] == 1
    cycle.refresh_from_db()
    assert cycle.state == State.READY
    assert QueueEntry.objects.filter(cycle=cycle).count() == BUDGET
    assert pipeline.cycle_selection_finish(cycle_id=cycle.id) is False


def test_coreset_selection_reads_the_stored_features(seeded, sent):
    cycle = trained(seeded, sent, strategy="coreset")
    score_all(sent)
    cycle.refresh_from_db()
    assert cycle.state == State.READY
    assert QueueEntry.objects.filter(cycle=cycle).count() == BUDGET


def test_a_label_of_a_selected_image_records_its_outcome_in_the_cycles_metrics(seeded, sent, annotator_user):
    cycle = trained(seeded, sent)
    score_all(sent)
    entry = lease_next(project=seeded, user=annotator_user)
    annotation_save(image=entry.image, user=annotator_user, keypoints=synthetic_label_for(entry.image), if_match=None)
    assert sent.named(dispatch.LABEL_OUTCOME_RECORD) == [[entry.id]]

    for (entry_id,) in sent.take(dispatch.LABEL_OUTCOME_RECORD):
        pipeline.label_outcome_record(entry_id=entry_id)

    entry.refresh_from_db()
    assert entry.realized_loss is not None and entry.realized_loss >= 0
    cycle.refresh_from_db()
    assert cycle.metrics["labelled"] == 1
    assert cycle.metrics["selected"] == BUDGET
    # Recording it again measures the same label: still one outcome.
    pipeline.label_outcome_record(entry_id=entry.id)
    cycle.refresh_from_db()
    assert cycle.metrics["labelled"] == 1


def test_an_audit_sample_of_random_pool_images_is_mixed_into_the_queue_and_measured(seeded, sent, annotator_user):
    cycle = trained(seeded, sent, audit_fraction=0.5)
    score_all(sent)
    entries = list(QueueEntry.objects.filter(cycle=cycle).order_by("rank"))
    audit = [entry for entry in entries if entry.is_audit]
    picks = [entry for entry in entries if not entry.is_audit]
    assert len(picks) == BUDGET and len(audit) == 2
    # The picks are the pool's highest predicted losses; the audit images come from the rest.
    assert sorted(entry.top_percent for entry in picks) == pytest.approx([100 / POOL, 200 / POOL, 300 / POOL], abs=0.01)
    assert min(entry.top_percent for entry in audit) > 300 / POOL
    cycle.refresh_from_db()
    assert cycle.metrics["selected"] == BUDGET + 2

    while (entry := lease_next(project=seeded, user=annotator_user)) is not None:
        annotation_save(
            image=entry.image, user=annotator_user, keypoints=synthetic_label_for(entry.image), if_match=None
        )
    for (entry_id,) in sent.take(dispatch.LABEL_OUTCOME_RECORD):
        pipeline.label_outcome_record(entry_id=entry_id)

    cycle.refresh_from_db()
    metrics = cycle.metrics
    assert metrics["labelled"] == BUDGET and metrics["audit_labelled"] == 2
    assert metrics["pck_selected"] is not None and metrics["pck_audit"] is not None
    assert metrics["ranking_verdict"] in ("found", "not_found", "unclear")
    assert len(metrics["pck_audit_ci"]) == 2
