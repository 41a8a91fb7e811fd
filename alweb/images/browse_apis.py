"""Thin REST views of the data browser: a project's images filtered, sorted and paged, and their thumbnails."""

from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.images import browse, thumbnails
from alweb.images.apis import ImageOutput, ServeWhateverIsAsked
from alweb.images.models import Image
from alweb.projects.access import image_for_member, project_for_member

# Thumbnails never change (named by content hash); a year, in the browser's private cache only.
THUMBNAIL_CACHE_CONTROL = "private, max-age=31536000, immutable"


class BrowseRowOutput(ImageOutput):
    state = serializers.ChoiceField(choices=browse.STATES, help_text=browse.STATE_HELP)
    uploaded_at = serializers.DateTimeField(source="created_at")
    labelled_by = serializers.CharField(allow_null=True, help_text="Who saved the current label; null if none.")
    labelled_at = serializers.DateTimeField(allow_null=True, help_text="When the current label was saved.")
    predicted_loss = serializers.FloatField(
        allow_null=True, help_text="The newest scoring model's predicted loss; null if that model did not score it."
    )
    rank = serializers.IntegerField(allow_null=True, help_text="Its place in the open queue (1 first); null if none.")
    thumbnail_url = serializers.SerializerMethodField()

    def get_thumbnail_url(self, row) -> str:
        return f"/api/v1/images/{row['id']}/thumbnail"


class BrowsePageOutput(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="The cursor of the next page; null on the last.")
    previous = serializers.CharField(allow_null=True, help_text="The cursor of the previous page; null on the first.")
    results = BrowseRowOutput(many=True)


class ImageBrowseApi(APIView):
    class FilterSerializer(serializers.Serializer):
        split = serializers.ChoiceField(choices=Image.Split.choices, required=False)
        state = serializers.ChoiceField(choices=browse.STATES, required=False, help_text=browse.STATE_HELP)
        annotator = serializers.CharField(
            max_length=150, required=False, help_text="The username of whoever saved the current label."
        )
        sort = serializers.ChoiceField(choices=browse.SORTS, default="uploaded", help_text=browse.SORT_HELP)
        cursor = serializers.CharField(
            max_length=400, required=False, help_text="The 'next' or 'previous' of a page of the same sort."
        )
        page_size = serializers.IntegerField(min_value=1, max_value=200, default=50)

    @extend_schema(
        tags=["images"],
        parameters=[FilterSerializer],
        responses=BrowsePageOutput,
        description=(
            "The data browser's listing: the project's images with their state, label author and time, "
            "predicted loss and queue rank, filtered and sorted, a page at a time (members). "
            f"States: {browse.STATE_HELP} Sorts: {browse.SORT_HELP}"
        ),
    )
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        # A plain dict: in a QueryDict an empty value reads as "not given" and would pass unchecked.
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        page = browse.browse_page(project=project, **query.validated_data)
        body = {"next": page.next_cursor, "previous": page.previous_cursor, "results": page.rows}
        return Response(BrowsePageOutput(body).data)


class ImageThumbnailApi(APIView):
    content_negotiation_class = ServeWhateverIsAsked

    class QuerySerializer(serializers.Serializer):
        size = serializers.ChoiceField(
            choices=thumbnails.SIZES,
            default=thumbnails.DEFAULT_SIZE,
            help_text="The longest side in pixels.",
        )

    @extend_schema(
        tags=["images"],
        parameters=[
            QuerySerializer,
            OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="A past ETag."),
        ],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
        description=(
            "An upright JPEG preview of the image (members), 304 without a body when If-None-Match holds its ETag; "
            "404 if the image's file is missing or damaged."
        ),
    )
    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        query = self.QuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        size = int(query.validated_data["size"])
        headers = {
            "ETag": f'"{image.sha256}-{size}"',
            "Cache-Control": THUMBNAIL_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        }
        if headers["ETag"] in request.headers.get("If-None-Match", ""):
            return HttpResponseNotModified(headers=headers)
        data = thumbnails.thumbnail_bytes(image=image, size=size)
        return HttpResponse(data, content_type="image/jpeg", headers=headers)
