"""Pages for people: sign-in, the project list. The pages talk to the REST API for their data."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from alweb.errors import NotAllowed
from alweb.projects.access import ensure_may_create_project
from alweb.projects.models import Membership


@login_required
def project_list(request):
    """The user's projects, with how many images wait in each queue."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("project")
        .annotate(queued=Count("project__queue_entries", filter=Q(project__queue_entries__state="open")))
        .order_by("project__name")
    )
    context = {"memberships": memberships, "may_create": _may_create_project(request.user)}
    return render(request, "web/project_list.html", context)


def _may_create_project(user) -> bool:
    try:
        ensure_may_create_project(user=user)
    except NotAllowed:
        return False
    return True
