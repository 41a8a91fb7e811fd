"""Where a new person's points start when an annotator draws a box and no model can predict them."""

import math

import numpy as np

from alweb.annotations.instances import trainable
from alweb.annotations.models import Annotation
from alweb.projects.models import Project

# Enough recent labels for a stable mean pose, few enough to read on every page load.
TEMPLATE_LABELS = 200
# Points of the grid layout stay this far inside the box, so none sits on its edge.
GRID_MARGIN = 0.15


def skeleton_template(*, project: Project) -> list[list[float]]:
    """K points [u, v] in [0, 1]: positions in a person's box (0, 0 top-left, 1, 1 bottom-right).

    The mean of the project's recent labels, each point relative to its instance's box, so a
    new person starts in the project's usual pose; a point never labelled yet, and every point
    of a project without labels, takes its place in a grid, ready to be dragged.
    """
    num_keypoints = project.num_keypoints
    sums, counts = np.zeros((num_keypoints, 2)), np.zeros(num_keypoints)
    recent = Annotation.objects.filter(image__project=project).order_by("-updated_at")[:TEMPLATE_LABELS]
    for instances in recent.values_list("instances", flat=True):
        for instance in instances:
            if not trainable(instance):
                continue
            x, y, w, h = instance["bbox"]
            for k, (px, py, v) in enumerate(instance["keypoints"]):
                if v > 0:
                    sums[k] += ((px - x) / w, (py - y) / h)
                    counts[k] += 1
    grid = _grid(num_keypoints)
    template = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], grid)
    return np.round(template.clip(0.0, 1.0), 4).tolist()


def _grid(num_keypoints: int) -> np.ndarray:
    """K points in rows, in keypoint order, inside the box's margins."""
    columns = math.ceil(math.sqrt(num_keypoints))
    rows = math.ceil(num_keypoints / columns)
    span = 1.0 - 2 * GRID_MARGIN
    points = [
        (
            GRID_MARGIN + span * ((k % columns) + 0.5) / columns,
            GRID_MARGIN + span * ((k // columns) + 0.5) / rows,
        )
        for k in range(num_keypoints)
    ]
    return np.array(points, dtype=np.float64)
