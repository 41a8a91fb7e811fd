"""Thin REST views to export a project as COCO keypoints and to import one."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.interchange import selectors, services
from alweb.projects.access import project_for_admin, project_for_member
from alweb.request_limits import upload_body_bytes
from alweb.throttles import UploadThrottle


def import_body_bytes() -> int:
    """An import's body: the annotations file and a zip as large as one upload may be."""
    return settings.COCO_IMPORT_MAX_BYTES + upload_body_bytes()


class ExportFormatNegotiation(DefaultContentNegotiation):
    """Always answer JSON: here ?format= names the export format, not a renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportApi(APIView):
    content_negotiation_class = ExportFormatNegotiation

    @extend_schema_serializer(component_name="ExportQuery")
    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=["coco"], default="coco")

    @extend_schema(
        tags=["interchange"],
        parameters=[InputSerializer],
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        description=(
            "Download the project as COCO keypoints JSON (members): every image with its upright size, "
            "one annotation per person instance of each label (crowd regions with iscrowd 1 and their "
            "segmentation; persons with segmentation []), the person boxes of unlabelled images as "
            "annotations without keypoints, and the skeleton as the category (COCO's 1-based skeleton, "
            'plus the 0-based flip_pairs so that an import keeps them). An image labelled "no one here" '
            'carries "no_people": true, which COCO readers ignore. Annotation ids count from 1 in the '
            "order written; image ids are the project's."
        ),
    )
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        # A plain dict: in a QueryDict an empty value reads as "not given" and would pass unchecked.
        serializer = self.InputSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        filename = f"{slugify(project.name) or 'project'}-{project.id}-coco.json"
        return StreamingHttpResponse(
            # Each chunk is read from the database and sent before the next is made.
            selectors.coco_export_chunks(project=project),
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part; the schema shows it as binary, since it is sent, not linked."""


class ImportImagesOutput(serializers.Serializer):
    created = serializers.IntegerField(source="images_created")
    duplicate = serializers.IntegerField(source="images_duplicate")


class ImportAnnotationsOutput(serializers.Serializer):
    created = serializers.IntegerField(source="annotations_created", help_text="Images labelled for the first time.")
    updated = serializers.IntegerField(source="annotations_updated", help_text="Labels replaced by a new version.")
    skipped = serializers.IntegerField(source="annotations_skipped", help_text="Annotations not stored (listed).")
    instances = serializers.IntegerField(
        source="instances_imported", help_text="Persons and crowd regions stored in those labels."
    )


class ImportBoxesOutput(serializers.Serializer):
    images = serializers.IntegerField(source="images_with_boxes", help_text="Unlabelled images given person boxes.")
    boxes = serializers.IntegerField(source="boxes_imported")


class SkippedAnnotationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    image_id = serializers.IntegerField()
    reason = serializers.CharField()


class ImportOutput(serializers.Serializer):
    images = ImportImagesOutput(source="*")
    annotations = ImportAnnotationsOutput(source="*")
    pool_boxes = ImportBoxesOutput(source="*")
    skipped = SkippedAnnotationOutput(many=True)


class ImportApi(APIView):
    parser_classes = [MultiPartParser]
    throttle_classes = (UploadThrottle,)
    max_request_bytes = staticmethod(import_body_bytes)

    @extend_schema_serializer(component_name="CocoImport")
    class InputSerializer(serializers.Serializer):
        annotations = UploadField(help_text="A COCO keypoints JSON file.")
        images = UploadField(
            required=False, help_text="A zip of the images, named by the file's file_name; without it, labels only."
        )

        def validate_annotations(self, value):
            limit = settings.COCO_IMPORT_MAX_BYTES
            if value.size > limit:
                raise serializers.ValidationError(f"The file is larger than the limit of {limit:,} bytes.")
            return value

    @extend_schema(
        tags=["interchange"],
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportOutput},
        description=(
            "Import COCO keypoints (admins), with a zip of the images or onto the project's images by name. "
            "Everything is checked first and stored in one transaction: any problem is a 400 and nothing is "
            "stored. An image with a labelled keypoint (v > 0) or a crowd region (iscrowd 1) gets a label "
            "holding all its annotations in file order, up to 100: persons with their bbox and keypoints "
            "(a person without labelled keypoints is kept, not trained on; one without bbox spans the whole "
            "image) and crowd regions with their segmentation; an existing label is replaced by a new "
            "version. An image whose annotations are only boxes without labelled keypoints (a detector's) "
            "stays unlabelled with those person boxes; on an image that has a label they are skipped and "
            'listed. An image without annotations is left as it is unless it says "no_people": true, which '
            "labels it as holding no one. A person's own segmentation is not kept. Boxes overrunning the "
            "image are clipped. Sizes must match the stored (upright) image, except a JPEG whose EXIF "
            "orientation turns it a quarter: its size may be given as stored, and its points refer to the "
            "upright image."
        ),
    )
    def post(self, request, project_id: int):
        project = project_for_admin(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            report = services.coco_import(
                project=project,
                user=request.user,
                annotations=data["annotations"].read(),
                images_archive=data.get("images"),
            )
        finally:
            # Closing removes the temporary files that large uploads were spooled to.
            for upload in request.FILES.values():
                upload.close()
        return Response(ImportOutput(report).data, status=status.HTTP_201_CREATED)
