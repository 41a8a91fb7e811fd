"""The data browser's pages: a project's images as a grid of thumbnails, and one image in the editor with its history."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from alweb.annotations.models import Annotation
from alweb.errors import InvalidInput, NotAllowed
from alweb.images import browse
from alweb.images.browse_apis import ImageBrowseApi
from alweb.images.models import Image
from alweb.projects.access import ensure_may_replace_label
from alweb.projects.models import Membership
from alweb.web.editor import editor_skeleton
from alweb.web.page_access import membership_or_404

# The grid's query parameters that say which view it is; the cursor says where in it.
VIEW_PARAMETERS = ("split", "state", "annotator", "sort")
PAGE_SIZE = 48

SORT_CHOICES = [
    ("uploaded", "Upload order, oldest first"),
    ("-uploaded", "Upload order, newest first"),
    ("-labelled_at", "Recently labelled (labelled images only)"),
    ("labelled_at", "Labelled longest ago (labelled images only)"),
    ("-predicted_loss", "Highest predicted loss (scored images only)"),
    ("predicted_loss", "Lowest predicted loss (scored images only)"),
    ("rank", "Queue rank (queued images only)"),
]


@login_required
def images(request, project_id: int):
    """The grid of the project's images, filtered and sorted as the query string says; 404 for non-members."""
    membership = membership_or_404(request, project_id)
    project = membership.project
    # The form sends its "Any" choices as empty values: on this page they mean no filter.
    given = {name: value for name, value in request.GET.dict().items() if value}
    query = ImageBrowseApi.FilterSerializer(data={"page_size": PAGE_SIZE, **given})
    page, errors = None, []
    if query.is_valid():
        try:
            page = browse.browse_page(project=project, **query.validated_data)
        except InvalidInput as error:
            errors = [error.first_message]
    else:
        errors = [f"{field}: {' '.join(messages)}" for field, messages in query.errors.items()]
    chosen = {name: request.GET.get(name, "") for name in VIEW_PARAMETERS}
    view = _view_query(chosen)
    context = {
        "project": project,
        "membership": membership,
        "chosen": chosen,
        "states": browse.STATES,
        "splits": Image.Split.values,
        "sorts": SORT_CHOICES,
        "annotators": _usernames(project_id),
        "rows": page.rows if page else [],
        "errors": errors,
        "image_query": f"?{view}" if view else "",
        "next_url": _page_url(view, page.next_cursor) if page and page.next_cursor else None,
        "previous_url": _page_url(view, page.previous_cursor) if page and page.previous_cursor else None,
    }
    return render(request, "web/images.html", context, status=400 if errors else 200)


@login_required
def image_review(request, project_id: int, image_id: int):
    """One image in the editor: its label, or the model's prediction; its history. 404 for non-members."""
    membership = membership_or_404(request, project_id)
    project = membership.project
    image = Image.objects.select_related("project").filter(pk=image_id, project=project).first()
    if image is None:
        raise Http404("No such image.")
    annotation = Annotation.objects.select_related("annotator").filter(image=image).first()
    chosen = {name: request.GET.get(name, "") for name in VIEW_PARAMETERS}
    previous_id, next_id = _neighbours(project=project, image_id=image.id, chosen=chosen)
    view = _view_query(chosen)
    suffix = f"?{view}" if view else ""
    config = {
        "skeleton": editor_skeleton(project),
        "image": {
            "id": image.id,
            "name": image.name,
            "width": image.width,
            "height": image.height,
            "split": image.split,
            "url": f"/api/v1/images/{image.id}/file",
            **browse.queue_place(image=image),
        },
        "label": None if annotation is None else {"instances": annotation.instances, "version": annotation.version},
        "etag": None if annotation is None else annotation.etag,
        "prediction": browse.image_prediction(image=image),
        "refusal": _refusal(request.user, image, annotation),
        "is_admin": membership.is_admin,
        "previous_url": f"/projects/{project.id}/images/{previous_id}/{suffix}" if previous_id else None,
        "next_url": f"/projects/{project.id}/images/{next_id}/{suffix}" if next_id else None,
    }
    context = {
        "project": project,
        "membership": membership,
        "image": image,
        "annotation": annotation,
        "config": config,
        "grid_url": f"/projects/{project.id}/images/{suffix}",
    }
    return render(request, "web/image_review.html", context)


def _refusal(user, image: Image, annotation: Annotation | None) -> str | None:
    """Why the API would refuse this user's save of the image, where that can be told now; None if it would not."""
    if annotation is None:
        return None
    try:
        ensure_may_replace_label(user=user, image=image, annotation=annotation)
    except NotAllowed as refused:
        return str(refused.detail)
    return None


def _neighbours(*, project, image_id: int, chosen: dict) -> tuple[int | None, int | None]:
    """The images either side in the grid view the page was opened from; none if that view is not a valid one."""
    query = ImageBrowseApi.FilterSerializer(data={name: value for name, value in chosen.items() if value})
    if not query.is_valid():
        return None, None
    view = {name: value for name, value in query.validated_data.items() if name in VIEW_PARAMETERS}
    return browse.browse_neighbours(project=project, image_id=image_id, **view)


def _view_query(chosen: dict) -> str:
    return urlencode({name: value for name, value in chosen.items() if value})


def _page_url(view: str, cursor: str) -> str:
    return "?" + "&".join(part for part in (view, urlencode({"cursor": cursor})) if part)


def _usernames(project_id: int) -> list[str]:
    return list(
        Membership.objects.filter(project_id=project_id)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )
