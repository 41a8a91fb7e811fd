"""What the annotation editor's scripts get of a project, on each page that mounts the editor."""

from alweb.annotations.template import skeleton_template
from alweb.projects.models import Project


def editor_skeleton(project: Project) -> dict:
    """The project's skeleton and new-person template; handed to the scripts through json_script, which
    escapes the names for a <script> block."""
    return {
        "id": project.id,
        "name": project.name,
        "keypoints": project.keypoints,
        "edges": project.edges,
        "flip_pairs": project.flip_pairs,
        "template": skeleton_template(project=project),
    }
