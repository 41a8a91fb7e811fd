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


class AnnotationOutput(serializers.Serializer):
    image = serializers.IntegerField(source="image_id")
    keypoints = serializers.ListField(child=serializers.ListField())
    version = serializers.IntegerField()
    annotator = serializers.CharField(source="annotator.username")
    updated_at = serializers.DateTimeField()


class AnnotationApi(APIView):
    @extend_schema_serializer(component_name="AnnotationInput")
    class InputSerializer(serializers.Serializer):
        # Shape and ranges are checked against the project's skeleton and the image.
        keypoints = serializers.JSONField(help_text="[[x, y, v], ...] in the project's keypoint order (COCO v).")

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
            keypoints=serializer.validated_data["keypoints"],
            if_match=request.headers.get("If-Match"),
        )
        return Response(
            AnnotationOutput(annotation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"ETag": annotation.etag},
        )


class RevisionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    keypoints = serializers.ListField(child=serializers.ListField())
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
