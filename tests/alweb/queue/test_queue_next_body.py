"""queue/next builds its body as a plain dict: it must stay LeasedEntryOutput's body, key for key."""

import json

import pytest

pytestmark = pytest.mark.django_db


def serialized(lease_id: str) -> dict:
    from alweb.queue.apis import LeasedEntryOutput
    from alweb.queue.models import QueueEntry

    entry = QueueEntry.objects.select_related("image").get(lease_id=lease_id)
    return json.loads(json.dumps(LeasedEntryOutput(entry).data))


@pytest.mark.parametrize(
    "instances", [None, [{"bbox": [1.0, 2.0, 30.0, 40.0], "keypoints": [[1, 2, 0.5]], "predicted_loss": 3}]]
)
def test_the_claimed_and_the_renewed_body_equal_the_serializers(annotator_client, project, queued, instances):
    from alweb.queue.models import QueueEntry

    if instances is not None:
        QueueEntry.objects.update(instances=instances)
    url = f"/api/v1/projects/{project.id}/queue/next/"

    claimed = annotator_client.post(url).json()
    assert claimed == serialized(claimed["lease"]["id"])
    assert list(claimed) == list(serialized(claimed["lease"]["id"]))

    renewed = annotator_client.post(url).json()
    assert renewed == serialized(renewed["lease"]["id"])
    assert renewed["image"] == claimed["image"]
