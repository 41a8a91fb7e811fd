"""The annotation page: the editor's shell; the scripts take images and save labels through the REST API."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from alweb.annotations.template import skeleton_template
from alweb.web.page_access import membership_or_404


@login_required
def annotate(request, project_id: int):
    """The editor for the project's queue; 404 for anyone who is not a member."""
    membership = membership_or_404(request, project_id)
    project = membership.project
    # Handed to the scripts through json_script, which escapes the names for a <script> block.
    skeleton = {
        "id": project.id,
        "name": project.name,
        "keypoints": project.keypoints,
        "edges": project.edges,
        "flip_pairs": project.flip_pairs,
        "template": skeleton_template(project=project),
    }
    return render(request, "web/annotate.html", {"project": project, "membership": membership, "skeleton": skeleton})
