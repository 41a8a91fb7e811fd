"""Everything that writes labels."""

from django.db import transaction

from alweb.annotations.instances import instances_from_keypoints, validate_instances
from alweb.annotations.models import Annotation, AnnotationRevision
from alweb.cycles.dispatch import enqueue_label_outcome_record
from alweb.errors import NotFound, PreconditionFailed, PreconditionRequired
from alweb.images.models import Image
from alweb.projects.access import ensure_may_replace_label, project_for_admin
from alweb.queue.services import entry_complete_for_image


@transaction.atomic
def annotation_save(
    *, image: Image, user, instances: list | None = None, keypoints: list | None = None, if_match: str | None
) -> tuple[Annotation, bool]:
    """Create or replace the image's label, keeping every version; returns (annotation, created).

    The label is `instances` (see alweb/annotations/instances.py; [] when no one is in the
    image), or `keypoints`, the older one-skeleton body: one instance whose box is the image.

    Replacing a label needs the ETag the editor read (If-Match), so that two people
    editing the same image cannot silently overwrite each other, and an admin unless it is
    the user's own pool label or a queue image they hold (see ensure_may_replace_label).
    """
    if (instances is None) == (keypoints is None):
        raise TypeError("annotation_save takes instances or keypoints")
    size = {"num_keypoints": image.project.num_keypoints, "width": image.width, "height": image.height}
    if instances is not None:
        cleaned = validate_instances(instances, **size)
    else:
        cleaned = instances_from_keypoints(keypoints, **size)
    image = Image.objects.select_for_update().get(pk=image.pk)
    annotation = Annotation.objects.filter(image=image).first()
    if annotation is None:
        annotation = Annotation.objects.create(image=image, instances=cleaned, annotator=user, version=1)
        created = True
    else:
        ensure_may_replace_label(user=user, image=image, annotation=annotation)
        if not if_match:
            raise PreconditionRequired()
        if if_match.strip() not in (annotation.etag, "*"):
            raise PreconditionFailed(f"The label changed since you read it; it is now at version {annotation.version}.")
        annotation.instances, annotation.annotator = cleaned, user
        annotation.version += 1
        annotation.save(update_fields=["instances", "annotator", "version", "updated_at"])
        created = False
    AnnotationRevision.objects.create(
        annotation=annotation, version=annotation.version, instances=cleaned, annotator=user
    )
    if image.state != Image.State.LABELLED:
        image.state = Image.State.LABELLED
        image.save(update_fields=["state"])
    # A labelled image leaves the annotators' queue; its realized loss tells how well the
    # cycle's ranking found the model's failures.
    entry = entry_complete_for_image(image=image, user=user)
    if entry is not None:
        enqueue_label_outcome_record(entry.id)
    return annotation, created


@transaction.atomic
def annotation_restore(*, image: Image, user, version: int, if_match: str | None) -> Annotation:
    """Make an earlier version of the image's label the current one, as a new version (admins).

    Nothing is lost: the versions in between stay in the history, and the new version records
    who restored it. It is saved like any edit, so the queue's bookkeeping is the same.
    """
    project_for_admin(user=user, project_id=image.project_id)
    revision = AnnotationRevision.objects.filter(annotation__image=image, version=version).first()
    if revision is None:
        raise NotFound("This label has no such version.")
    if not if_match:
        raise PreconditionRequired()
    annotation, _ = annotation_save(image=image, user=user, instances=revision.instances, if_match=if_match)
    return annotation
