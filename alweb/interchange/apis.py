"""Thin REST views to export a project as COCO keypoints and to import one."""
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.interchange import selectors, services
from alweb.projects.access import project_for_admin, project_for_member

# COCO train2017 person keypoints is about 240 MB.
MAX_COCO_BYTES = 256 * 1024 * 1024


class ExportFormatNegotiation(DefaultContentNegotiation):
    """Always answer JSON: here ?format= names the export format, not a renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportApi(APIView):
    content_negotiation_class = ExportFormatNegotiation

    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=["coco"], default="coco")

    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        filename = f"{slugify(project.name) or 'project'}-{project.id}-coco.json"
        return StreamingHttpResponse(
            selectors.coco_export_chunks(project=project),
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


class ImportOutput(serializers.Serializer):
    images = serializers.SerializerMethodField()
    annotations = serializers.SerializerMethodField()
    skipped = serializers.ListField(child=serializers.DictField())

    def get_images(self, report) -> dict:
        return {"created": report.images_created, "duplicate": report.images_duplicate}

    def get_annotations(self, report) -> dict:
        return {"created": report.annotations_created, "updated": report.annotations_updated, "skipped": len(report.skipped)}


class ImportApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        annotations = serializers.FileField(help_text="A COCO keypoints JSON file.")
        images = serializers.FileField(
            required=False, help_text="A zip of the images, named by the file's file_name; without it, labels only."
        )

        def validate_annotations(self, value):
            if value.size > MAX_COCO_BYTES:
                raise serializers.ValidationError(f"The file is larger than the limit of {MAX_COCO_BYTES:,} bytes.")
            return value

    def post(self, request, project_id: int):
        project = project_for_admin(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            report = services.coco_import(
                project=project, user=request.user, annotations=data["annotations"].read(), images_archive=data.get("images")
            )
        finally:
            # Closing removes the temporary files that large uploads were spooled to.
            for upload in request.FILES.values():
                upload.close()
        return Response(ImportOutput(report).data, status=status.HTTP_201_CREATED)
