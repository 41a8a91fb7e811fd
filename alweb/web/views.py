"""Pages for people: sign-in, the project list. The pages talk to the REST API for their data."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

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
    return render(request, "web/project_list.html", {"memberships": memberships})
