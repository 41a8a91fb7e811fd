"""Thin REST views for an image's label and its history."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.annotations import services
from alweb.annotations.models import Annotation
from alweb.api_schema import ErrorOutput
from alweb.projects.access import image_for_member


class InstanceOutput(serializers.Serializer):
    bbox = serializers.ListField(child=serializers.FloatField(), help_text="[x, y, width, height] in image pixels.")
    keypoints = serializers.ListField(
        child=serializers.ListField(), help_text="[[x, y, v], ...] in the project's keypoint order (COCO v)."
    )
    iscrowd = serializers.IntegerField(required=False, help_text="1: a COCO crowd region, never trained on.")
    segmentation = serializers.JSONField(required=False, help_text="A crowd region's COCO polygons or RLE.")


class LabelOutput(serializers.Serializer):
    instances = InstanceOutput(many=True)
    keypoints = serializers.SerializerMethodField(
        help_text="The one instance's points when the label has exactly one, else null (the older body)."
    )

    def get_keypoints(self, label) -> list | None:
        return label.instances[0]["keypoints"] if len(label.instances) == 1 else None


class AnnotationOutput(LabelOutput):
    image = serializers.IntegerField(source="image_id")
    version = serializers.IntegerField()
    annotator = serializers.CharField(source="annotator.username")
    updated_at = serializers.DateTimeField()


class AnnotationApi(APIView):
    @extend_schema_serializer(component_name="AnnotationInput")
    class InputSerializer(serializers.Serializer):
        # Shape and ranges are checked against the project's skeleton and the image.
        instances = serializers.JSONField(
            required=False,
            help_text='[{"bbox": [x, y, w, h], "keypoints": [[x, y, v], ...]}, ...]; [] when no one is in the image.',
        )
        keypoints = serializers.JSONField(
            required=False,
            help_text="The older body: [[x, y, v], ...] for one instance whose box is the image.",
        )

        def validate(self, attrs):
            if ("instances" in attrs) == ("keypoints" in attrs):
                raise serializers.ValidationError('Send the label as "instances" (or the older "keypoints"), not both.')
            return attrs

    @extend_schema(tags=["annotations"], responses=AnnotationOutput)
    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        annotation = Annotation.objects.select_related("annotator").filter(image=image).first()
        if annotation is None:
            raise NotFound("This image has no label yet.")
        return Response(AnnotationOutput(annotation).data, headers={"ETag": annotation.etag})

    @extend_schema(
        tags=["annotations"],
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag you read; needed to replace an existing label.",
            )
        ],
        responses={200: AnnotationOutput, 201: AnnotationOutput, 412: ErrorOutput, 428: ErrorOutput},
    )
    def put(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        annotation, created = services.annotation_save(
            image=image,
            user=request.user,
            instances=serializer.validated_data.get("instances"),
            keypoints=serializer.validated_data.get("keypoints"),
            if_match=request.headers.get("If-Match"),
        )
        return Response(
            AnnotationOutput(annotation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"ETag": annotation.etag},
        )


class RevisionOutput(LabelOutput):
    version = serializers.IntegerField()
    annotator = serializers.CharField(source="annotator.username")
    created_at = serializers.DateTimeField()


class AnnotationHistoryApi(APIView):
    @extend_schema(
        tags=["annotations"], responses=inline_serializer("AnnotationHistory", {"results": RevisionOutput(many=True)})
    )
    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        annotation = Annotation.objects.filter(image=image).first()
        if annotation is None:
            raise NotFound("This image has no label yet.")
        revisions = annotation.revisions.select_related("annotator").order_by("-version")
        return Response({"results": RevisionOutput(revisions, many=True).data})


class AnnotationRestoreApi(APIView):
    @extend_schema(
        tags=["annotations"],
        request=None,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The ETag of the current label, as for a PUT.",
            )
        ],
        responses={200: AnnotationOutput, 412: ErrorOutput, 428: ErrorOutput},
        description=(
            "Make an earlier version the current label (admins): a new version with that version's instances, "
            "saved by you; the versions in between stay in the history. 404 if the label has no such version."
        ),
    )
    def post(self, request, image_id: int, version: int):
        image = image_for_member(user=request.user, image_id=image_id)
        annotation = services.annotation_restore(
            image=image, user=request.user, version=version, if_match=request.headers.get("If-Match")
        )
        return Response(AnnotationOutput(annotation).data, headers={"ETag": annotation.etag})
