"""The annotation page: the editor's shell; the scripts take images and save labels through the REST API."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from alweb.web.editor import editor_skeleton
from alweb.web.page_access import membership_or_404


@login_required
def annotate(request, project_id: int):
    """The editor for the project's queue; 404 for anyone who is not a member."""
    membership = membership_or_404(request, project_id)
    project = membership.project
    context = {"project": project, "membership": membership, "skeleton": editor_skeleton(project)}
    return render(request, "web/annotate.html", context)
