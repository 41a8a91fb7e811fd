"""Core-set selection over a pool larger than CYCLE_CORESET_MAX_POOL is refused, with the cap in the message."""

import pytest

from alweb.cycles import pipeline
from alweb.cycles.models import Cycle, ModelVersion, Score
from alweb.images.models import Image
from alweb.queue.models import QueueEntry

pytestmark = pytest.mark.django_db


def pool_images(project, count: int) -> list[Image]:
    return [
        Image.objects.create(
            project=project,
            name=f"pool{i}.png",
            file=f"images/pool{i}.png",
            sha256=f"{i:064x}",
            content_type="image/png",
            width=200,
            height=100,
        )
        for i in range(count)
    ]


def test_starting_a_coreset_cycle_over_a_pool_above_the_cap_is_refused_before_anything_runs(
    admin_client, project, settings
):
    settings.CYCLE_CORESET_MAX_POOL = 2
    pool_images(project, 3)

    response = admin_client.post(f"/api/v1/projects/{project.id}/cycles/", {"strategy": "coreset"}, format="json")

    assert response.status_code == 400, response.content
    message = response.json()["strategy"]
    assert "limited to 2 unlabelled pool images" in message and "this project has 3" in message
    assert "CYCLE_CORESET_MAX_POOL" in message
    assert not Cycle.objects.filter(project=project).exists()


def test_a_coreset_cycle_whose_pool_outgrew_the_cap_fails_at_selection_with_the_message(project, settings):
    settings.CYCLE_CORESET_MAX_POOL = 2
    cycle = Cycle.objects.create(
        project=project, index=1, state="selecting", strategy="coreset", budget=1, epochs=1, model_name="hg-tiny"
    )
    version = ModelVersion.objects.create(project=project, cycle=cycle, model_name="hg-tiny", checkpoint="models/m.pt")
    for image in pool_images(project, 3):
        Score.objects.create(
            model_version=version, image=image, predicted_loss=1.0, keypoints=[[1.0, 2.0]], confidence=[0.5]
        )

    assert pipeline.cycle_selection_finish(cycle_id=cycle.id) is False

    cycle.refresh_from_db()
    assert cycle.state == "failed"
    assert cycle.error.startswith("Selecting failed: Core-set selection is limited to 2 unlabelled pool images")
    assert not QueueEntry.objects.filter(cycle=cycle).exists()
