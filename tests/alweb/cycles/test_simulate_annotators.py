"""simulate_annotators drives whole cycles through the real services and a real worker."""

import pytest
from django.core.management import call_command

from alweb.annotations.models import Annotation
from alweb.cycles.models import Cycle
from alweb.cycles.services import cycle_start
from tests.alweb.cycles.seeding import seed_synthetic
from tests.live_processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def test_two_simulated_rounds_label_the_queues_with_the_truth(worker, project, admin_user, annotator_user):
    seed_synthetic(project=project, user=admin_user, train=12, val=4, pool=20)
    first = cycle_start(project=project, strategy="ll_plus_plus", budget=4, epochs=1, model_name="hg-tiny")
    wait_for(lambda: Cycle.objects.get(pk=first.id).state == "ready", timeout=150, worker=worker)

    call_command("simulate_annotators", project=project.id, cycles=1, annotator="ann", timeout=200)

    cycles = list(Cycle.objects.filter(project=project).order_by("index"))
    assert [c.state for c in cycles] == ["ready", "ready"]
    simulated = Annotation.objects.filter(image__project=project, annotator=annotator_user)
    assert simulated.count() == 4
    from alweb.demo.services import synthetic_label_for

    for annotation in simulated:
        (instance,) = annotation.instances
        assert instance["keypoints"] == synthetic_label_for(annotation.image)
    # The second cycle trained on the simulated labels and queued new images.
    assert cycles[1].queue_entries.filter(state="open").count() == 4
    wait_for(lambda: Cycle.objects.get(pk=first.id).metrics.get("labelled") == 4, timeout=60, worker=worker)
