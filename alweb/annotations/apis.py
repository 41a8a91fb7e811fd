"""Thin REST views for an image's label and its history."""
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.annotations import services
from alweb.annotations.models import Annotation
from alweb.projects.access import image_for_member


class AnnotationOutput(serializers.Serializer):
    image = serializers.IntegerField(source="image_id")
    keypoints = serializers.ListField(child=serializers.ListField())
    version = serializers.IntegerField()
    annotator = serializers.CharField(source="annotator.username")
    updated_at = serializers.DateTimeField()


class AnnotationApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Shape and ranges are checked against the project's skeleton and the image.
        keypoints = serializers.JSONField()

    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        annotation = Annotation.objects.select_related("annotator").filter(image=image).first()
        if annotation is None:
            raise NotFound("This image has no label yet.")
        return Response(AnnotationOutput(annotation).data, headers={"ETag": annotation.etag})

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
    def get(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        annotation = Annotation.objects.filter(image=image).first()
        if annotation is None:
            raise NotFound("This image has no label yet.")
        revisions = annotation.revisions.select_related("annotator").order_by("-version")
        return Response({"results": RevisionOutput(revisions, many=True).data})
