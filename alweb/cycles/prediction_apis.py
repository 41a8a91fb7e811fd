"""POST /projects/{id}/predict/: the active model's keypoints and how likely it is wrong."""

from dataclasses import asdict

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.api_fields import FiniteFloatField
from alweb.cycles.prediction import image_predict, instance_predict
from alweb.images.decoding import Rejected
from alweb.projects.access import image_for_member, project_for_admin, project_for_member
from alweb.request_limits import single_file_body_bytes
from alweb.throttles import PredictThrottle


class PredictApi(APIView):
    parser_classes = [MultiPartParser]
    throttle_classes = (PredictThrottle,)
    max_request_bytes = staticmethod(single_file_body_bytes)

    @extend_schema_serializer(component_name="PredictInput")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        add_to_pool = serializers.BooleanField(default=False)

    @extend_schema(
        tags=["cycles"],
        request={"multipart/form-data": InputSerializer},
        responses=inline_serializer(
            "Prediction",
            {
                "keypoints": serializers.ListField(child=serializers.ListField(child=FiniteFloatField())),
                "predicted_loss": FiniteFloatField(),
                "percentile": FiniteFloatField(allow_null=True),
                "flagged": serializers.BooleanField(),
                "model_version": serializers.IntegerField(),
                "image_id": serializers.IntegerField(allow_null=True),
                "image_status": serializers.CharField(allow_null=True),
            },
        ),
    )
    def post(self, request, project_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        add_to_pool = serializer.validated_data["add_to_pool"]
        # Reading needs membership; storing into the pool is an admin's act, like any upload.
        access = project_for_admin if add_to_pool else project_for_member
        project = access(user=request.user, project_id=project_id)
        upload = serializer.validated_data["file"]
        if upload.size > settings.UPLOAD_MAX_FILE_BYTES:
            raise ValidationError({"file": f"The file is larger than {settings.UPLOAD_MAX_FILE_BYTES:,} bytes."})
        try:
            prediction = image_predict(project=project, name=upload.name, data=upload.read(), add_to_pool=add_to_pool)
        except Rejected as rejected:
            raise ValidationError({"file": rejected.reason}) from None
        return Response(asdict(prediction))


class InstancePredictApi(APIView):
    """POST /images/{id}/predict/: the active model's keypoints for a person box drawn on the image."""

    throttle_classes = (PredictThrottle,)

    @extend_schema_serializer(component_name="InstancePredictInput")
    class InputSerializer(serializers.Serializer):
        # Shape and range are checked against the image by the service.
        bbox = serializers.JSONField(help_text="[x, y, width, height] in image pixels.")

    @extend_schema(
        tags=["cycles"],
        request=InputSerializer,
        responses=inline_serializer(
            "InstancePrediction",
            {
                "bbox": serializers.ListField(child=FiniteFloatField()),
                "keypoints": serializers.ListField(child=serializers.ListField(child=FiniteFloatField())),
                "predicted_loss": FiniteFloatField(),
                "model_version": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request, image_id: int):
        image = image_for_member(user=request.user, image_id=image_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(asdict(instance_predict(image=image, bbox=serializer.validated_data["bbox"])))
