"""Thin REST views to export a project as COCO keypoints and to import one."""
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView

from alweb.interchange import selectors
from alweb.projects.access import project_for_member


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
