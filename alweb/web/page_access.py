"""Who may open a project's pages: members, and admins for the admin pages; anyone else gets 404,
so that a page never tells an outsider that the project exists."""

from django.http import Http404

from alweb.projects.models import Membership


def membership_or_404(request, project_id: int) -> Membership:
    """The signed-in user's membership of the project, with the project loaded."""
    membership = (
        Membership.objects.select_related("project").filter(project_id=project_id, user_id=request.user.pk).first()
    )
    if membership is None:
        raise Http404("No such project.")
    return membership


def admin_membership_or_404(request, project_id: int) -> Membership:
    """As membership_or_404, and 404 for an annotator too: the admin pages' existence is not theirs to see."""
    membership = membership_or_404(request, project_id)
    if not membership.is_admin:
        raise Http404("No such project.")
    return membership
