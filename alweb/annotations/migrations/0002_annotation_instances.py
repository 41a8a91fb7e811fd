"""A label becomes a list of person instances; an older label is one instance whose box is its image."""

from django.db import migrations

BATCH = 2000


def _wrap(points, image) -> list:
    return [{"bbox": [0.0, 0.0, float(image.width), float(image.height)], "keypoints": points}]


def to_instances(apps, schema_editor):
    Annotation = apps.get_model("annotations", "Annotation")
    AnnotationRevision = apps.get_model("annotations", "AnnotationRevision")
    for model, image_path in ((Annotation, "image"), (AnnotationRevision, "annotation__image")):
        rows = model.objects.select_related(image_path).order_by("pk")
        changed = []
        for row in rows.iterator(chunk_size=BATCH):
            image = row.image if image_path == "image" else row.annotation.image
            row.instances = _wrap(row.instances, image)
            changed.append(row)
            if len(changed) == BATCH:
                model.objects.bulk_update(changed, ["instances"])
                changed = []
        model.objects.bulk_update(changed, ["instances"])


def to_keypoints(apps, schema_editor):
    """Back to one skeleton per label: the first instance, or an unlabelled skeleton for an empty label."""
    Annotation = apps.get_model("annotations", "Annotation")
    AnnotationRevision = apps.get_model("annotations", "AnnotationRevision")
    for model in (Annotation, AnnotationRevision):
        changed = []
        for row in model.objects.order_by("pk").iterator(chunk_size=BATCH):
            row.instances = row.instances[0]["keypoints"] if row.instances else []
            changed.append(row)
        model.objects.bulk_update(changed, ["instances"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="annotation", old_name="keypoints", new_name="instances"),
        migrations.RenameField(model_name="annotationrevision", old_name="keypoints", new_name="instances"),
        migrations.RunPython(to_instances, to_keypoints),
    ]
