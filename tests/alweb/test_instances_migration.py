"""Labels stored before instances existed become one instance covering their image, history included."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

# Projects go back to the schema of their time too, or the older models would miss a column.
BEFORE = [("annotations", "0001_initial"), ("images", "0001_initial"), ("projects", "0001_initial")]
AFTER = [("annotations", "0002_annotation_instances"), ("images", "0002_image_boxes"), ("projects", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_an_older_label_and_its_revisions_become_one_whole_image_instance(admin_user):
    old = migrate(BEFORE)
    project = old.get_model("projects", "Project").objects.create(
        name="p", keypoints=["a", "b"], edges=[], created_by_id=admin_user.id
    )
    image = old.get_model("images", "Image").objects.create(
        project=project, name="a.png", file="a.png", sha256="0" * 64, content_type="image/png", width=64, height=48
    )
    points = [[1.0, 2.0, 2], [0.0, 0.0, 0]]
    annotation = old.get_model("annotations", "Annotation").objects.create(
        image=image, keypoints=points, annotator_id=admin_user.id, version=1
    )
    old.get_model("annotations", "AnnotationRevision").objects.create(
        annotation=annotation, version=1, keypoints=points, annotator_id=admin_user.id
    )
    try:
        new = migrate(AFTER)
        expected = [{"bbox": [0.0, 0.0, 64.0, 48.0], "keypoints": points}]
        assert new.get_model("annotations", "Annotation").objects.get().instances == expected
        assert new.get_model("annotations", "AnnotationRevision").objects.get().instances == expected
        assert new.get_model("images", "Image").objects.get().boxes == []
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
