"""Thin REST views for a project's images: upload, list, count, read, move between splits, download."""

from django.core.exceptions import TooManyFilesSent
from django.http import FileResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.api_pagination import StrictCursorPagination
from alweb.images import selectors, services
from alweb.images.models import Image
from alweb.images.upload_handlers import upload_handlers
from alweb.projects.access import image_for_member, project_for_admin, project_for_member
from alweb.request_limits import upload_body_bytes
from alweb.throttles import UploadThrottle


class ImageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()
    split = serializers.CharField()
    state = serializers.CharField()
    project = serializers.IntegerField(source="project_id")
    boxes = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Person boxes [x, y, width, height] to crop around when scoring; [] is the whole image.",
    )


class ImagePageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImageOutput(many=True)


class IngestResultOutput(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=[services.CREATED, services.DUPLICATE, services.REJECTED])
    id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class IngestReportOutput(serializers.Serializer):
    results = IngestResultOutput(many=True)
    detail = serializers.CharField(required=False)


class ImageCountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    by_state = serializers.DictField(child=serializers.IntegerField())
    by_split = serializers.DictField(child=serializers.IntegerField())


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part; the schema shows it as binary, since it is sent, not linked."""


class ImagePagination(StrictCursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ImageListCreateApi(APIView):
    parser_classes = [MultiPartParser]
    throttle_classes = (UploadThrottle,)
    max_request_bytes = staticmethod(upload_body_bytes)

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=Image.State.choices, required=False)
        split = serializers.ChoiceField(choices=Image.Split.choices, required=False)

    @extend_schema_serializer(component_name="ImageUpload")
    class InputSerializer(serializers.Serializer):
        files = serializers.ListField(
            child=UploadField(allow_empty_file=True),
            min_length=1,
            error_messages={"required": "Send one or more images or zip archives as 'files' parts."},
            help_text="JPEG, PNG or WebP images, or zip archives of them; one part per file.",
        )
        split = serializers.ChoiceField(choices=Image.Split.choices, default=Image.Split.POOL)

    @extend_schema(
        tags=["images"],
        parameters=[
            FilterSerializer,
            OpenApiParameter("cursor", str, description="The cursor from the previous page's 'next'."),
            OpenApiParameter("page_size", int, description="Images per page, 100 by default, at most 1000."),
        ],
        responses=ImagePageOutput,
    )
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        # A plain dict: in a QueryDict an empty value reads as "not given" and would pass unchecked.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        paginator = ImagePagination()
        page = paginator.paginate_queryset(
            selectors.image_rows(project=project, **filters.validated_data), request, view=self
        )
        return paginator.get_paginated_response(ImageOutput(page, many=True).data)

    @extend_schema(
        tags=["images"],
        request={"multipart/form-data": InputSerializer},
        # A 400 is the report of a batch nothing of which was accepted, or the fields at fault.
        responses={201: IngestReportOutput},
        description=(
            "Upload images (admins). Each file, and each member of a zip archive, gets a result: "
            "created, duplicate (with the existing image's id) or rejected (with the reason). "
            "201 if anything was accepted; 400 if nothing was, or if there are too many files."
        ),
    )
    def post(self, request, project_id: int):
        project = project_for_admin(user=request.user, project_id=project_id)
        request.upload_handlers = upload_handlers(request)
        try:
            serializer = self.InputSerializer(data=request.data)
        except TooManyFilesSent:
            raise services.TooManyFiles(
                "The request holds more files than the upload limit. Nothing was stored."
            ) from None
        serializer.is_valid(raise_exception=True)
        uploads = serializer.validated_data["files"]
        try:
            results = services.images_ingest(
                project=project,
                files=[(upload.name, upload) for upload in uploads],
                split=serializer.validated_data["split"],
            )
        finally:
            # Closing removes the temporary files that large uploads were spooled to.
            for upload in uploads:
                upload.close()
        body = {"results": IngestResultOutput(results, many=True).data}
        if all(result.status == services.REJECTED for result in results):
            body["detail"] = "No file was accepted; each result gives the reason."
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)


class ImageCountsApi(APIView):
    @extend_schema(tags=["images"], responses=ImageCountsOutput)
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response(ImageCountsOutput(selectors.image_counts(project=project)).data)


class ImageDetailApi(APIView):
    @extend_schema_serializer(component_name="ImageSplit")
    class InputSerializer(serializers.Serializer):
        split = serializers.ChoiceField(choices=Image.Split.choices)

    @extend_schema(tags=["images"], responses=ImageOutput)
    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        return Response(ImageOutput(image).data)

    @extend_schema(tags=["images"], request=InputSerializer, responses=ImageOutput)
    def patch(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        project_for_admin(user=request.user, project_id=image.project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.image_split_set(image=image, split=serializer.validated_data["split"])
        return Response(ImageOutput(image).data)


class ImageBoxesApi(APIView):
    @extend_schema_serializer(component_name="ImageBoxes")
    class InputSerializer(serializers.Serializer):
        # Shape and ranges are checked against the image by the service.
        boxes = serializers.JSONField(help_text="[[x, y, width, height], ...] in image pixels; at most 100.")

    @extend_schema(tags=["images"], request=InputSerializer, responses=ImageOutput)
    def put(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        project_for_admin(user=request.user, project_id=image.project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.image_boxes_set(image=image, boxes=serializer.validated_data["boxes"])
        return Response(ImageOutput(image).data)


class ServeWhateverIsAsked(BaseContentNegotiation):
    """Browsers ask for image/*; the response type is the stored one, errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ImageFileApi(APIView):
    content_negotiation_class = ServeWhateverIsAsked

    @extend_schema(
        tags=["images"],
        responses={
            (200, content_type): OpenApiTypes.BINARY for content_type in ("image/jpeg", "image/png", "image/webp")
        },
    )
    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        # The bytes behind an image never change (content-addressed), so the hash is the ETag.
        headers = {
            "ETag": f'"{image.sha256}"',
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        }
        if headers["ETag"] in request.headers.get("If-None-Match", ""):
            return HttpResponseNotModified(headers=headers)
        try:
            stored = image.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The image's file is missing from storage.") from None
        # The type recorded when the content was checked, never one guessed from a name.
        response = FileResponse(stored, content_type=image.content_type, filename=image.file.name.rsplit("/", 1)[-1])
        for header, value in headers.items():
            response[header] = value
        return response
