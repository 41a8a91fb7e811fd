"""Thin REST views: start, read and cancel cycles; list and activate model versions."""
from django.conf import settings
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.cycles import selectors, services
from alweb.cycles.models import Cycle, ModelVersion
from alweb.cycles.strategies import DEFAULT_STRATEGY, STRATEGY_CHOICES
from alweb.projects.access import cycle_for_member, model_version_for_admin, project_for_admin, project_for_member
from ml.models.registry import PRESETS as MODEL_PRESETS

PROGRESS_KEYS = ("phase", "epoch", "epochs", "step", "steps", "eta_s", "losses")
METRIC_KEYS = ("pck_selected", "spearman", "kendall", "val_pck")


class CycleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    index = serializers.IntegerField()
    state = serializers.CharField()
    strategy = serializers.CharField()
    budget = serializers.IntegerField()
    epochs = serializers.IntegerField()
    model = serializers.CharField(source="model_name")
    progress = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()

    def get_progress(self, cycle: Cycle) -> dict:
        return {key: cycle.progress.get(key) for key in PROGRESS_KEYS}

    def get_metrics(self, cycle: Cycle) -> dict:
        return {key: cycle.metrics.get(key) for key in METRIC_KEYS} | {"labelled": cycle.metrics.get("labelled", 0)}


class CycleListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        strategy = serializers.ChoiceField(choices=sorted(STRATEGY_CHOICES), default=DEFAULT_STRATEGY)
        budget = serializers.IntegerField(min_value=1, max_value=100_000, default=100)
        epochs = serializers.IntegerField(min_value=1, max_value=500, default=10)
        model = serializers.ChoiceField(choices=sorted(MODEL_PRESETS), default=settings.DEFAULT_MODEL)

    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response({"results": CycleOutput(selectors.cycles_of(project=project), many=True).data})

    def post(self, request, project_id: int):
        project = project_for_admin(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cycle = services.cycle_start(project=project, strategy=data["strategy"], budget=data["budget"],
                                     epochs=data["epochs"], model_name=data["model"])
        return Response(CycleOutput(cycle).data, status=status.HTTP_201_CREATED)


class CycleDetailApi(APIView):
    def get(self, request, cycle_id: int):
        return Response(CycleOutput(cycle_for_member(user=request.user, cycle_id=cycle_id)).data)


class CycleCancelApi(APIView):
    def post(self, request, cycle_id: int):
        cycle = cycle_for_member(user=request.user, cycle_id=cycle_id, admin=True)
        return Response(CycleOutput(services.cycle_cancel(cycle=cycle)).data)


class ModelVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField(source="cycle_id")
    model = serializers.CharField(source="model_name")
    is_active = serializers.BooleanField()
    val_pck = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_val_pck(self, version: ModelVersion) -> float | None:
        return version.metrics.get("val_pck")


class ModelVersionListApi(APIView):
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        versions = ModelVersion.objects.filter(project=project).order_by("-id")
        return Response({"results": ModelVersionOutput(versions, many=True).data})


class ModelVersionActivateApi(APIView):
    def post(self, request, version_id: int):
        version = model_version_for_admin(user=request.user, version_id=version_id)
        return Response(ModelVersionOutput(services.model_version_activate(version=version)).data)
