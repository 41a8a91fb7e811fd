"""Thin REST views: start, read and cancel cycles; list and activate model versions."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.api_fields import FiniteFloatField
from alweb.cycles import selectors, services
from alweb.cycles.models import ModelVersion
from alweb.cycles.ranking import coreset_pool_check
from alweb.cycles.serializers import CycleOutput, ModelVersionOutput
from alweb.projects.access import cycle_for_member, model_version_for_admin, project_for_admin, project_for_member
from ml.models.registry import PRESETS as MODEL_PRESETS
from ml.strategies import DEFAULT_STRATEGY, STRATEGY_SPECS


class CycleListCreateApi(APIView):
    @extend_schema_serializer(component_name="CycleStart")
    class InputSerializer(serializers.Serializer):
        strategy = serializers.ChoiceField(choices=sorted(STRATEGY_SPECS), default=DEFAULT_STRATEGY)
        # budget, epochs and head_epochs: made per request, bounded by the deployment's limits.
        audit_fraction = FiniteFloatField(
            min_value=0.0,
            max_value=1.0,
            default=settings.CYCLE_DEFAULT_AUDIT_FRACTION,
            help_text="Share of the budget added as random pool images, to measure the ranking against. 0: none.",
        )
        model = serializers.ChoiceField(choices=sorted(MODEL_PRESETS), default=settings.DEFAULT_MODEL)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # The deployment's limits (CYCLE_MAX_BUDGET, CYCLE_MAX_EPOCHS) cap what one admin may
            # ask of the shared workers.
            max_epochs, max_budget = settings.CYCLE_MAX_EPOCHS, settings.CYCLE_MAX_BUDGET
            self.fields["budget"] = serializers.IntegerField(
                min_value=1, max_value=max_budget, default=min(100, max_budget)
            )
            self.fields["epochs"] = serializers.IntegerField(
                min_value=1, max_value=max_epochs, default=min(10, max_epochs)
            )
            self.fields["head_epochs"] = serializers.IntegerField(
                min_value=0,
                max_value=max_epochs,
                default=min(settings.CYCLE_DEFAULT_HEAD_EPOCHS, max_epochs),
                help_text="Epochs that train the loss head alone on the trained network, after `epochs`.",
            )

    @extend_schema(tags=["cycles"], responses=inline_serializer("CycleList", {"results": CycleOutput(many=True)}))
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response({"results": CycleOutput(selectors.cycles_of(project=project), many=True).data})

    @extend_schema(tags=["cycles"], request=InputSerializer, responses={201: CycleOutput})
    def post(self, request, project_id: int):
        """Start a cycle; 409 while another runs, 400 for core-set over more than CYCLE_CORESET_MAX_POOL pool images."""
        project = project_for_admin(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if STRATEGY_SPECS[data["strategy"]].selector == "coreset":
            # Refused before anything runs, rather than failing after the whole pool was trained on and scored.
            coreset_pool_check(strategy=data["strategy"], pool_size=selectors.unlabelled_pool(project=project).count())
        cycle = services.cycle_start(
            project=project,
            strategy=data["strategy"],
            budget=data["budget"],
            epochs=data["epochs"],
            head_epochs=data["head_epochs"],
            audit_fraction=data["audit_fraction"],
            model_name=data["model"],
        )
        return Response(CycleOutput(cycle).data, status=status.HTTP_201_CREATED)


class CycleDetailApi(APIView):
    @extend_schema(tags=["cycles"], responses=CycleOutput)
    def get(self, request, cycle_id: int):
        return Response(CycleOutput(cycle_for_member(user=request.user, cycle_id=cycle_id)).data)


class CycleCancelApi(APIView):
    @extend_schema(tags=["cycles"], request=None, responses=CycleOutput)
    def post(self, request, cycle_id: int):
        cycle = cycle_for_member(user=request.user, cycle_id=cycle_id, admin=True)
        return Response(CycleOutput(services.cycle_cancel(cycle=cycle)).data)


class ModelVersionListApi(APIView):
    @extend_schema(
        tags=["cycles"], responses=inline_serializer("ModelVersionList", {"results": ModelVersionOutput(many=True)})
    )
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        versions = ModelVersion.objects.filter(project=project).select_related("cycle").order_by("-id")
        return Response({"results": ModelVersionOutput(versions, many=True).data})


class ModelVersionActivateApi(APIView):
    @extend_schema(tags=["cycles"], request=None, responses=ModelVersionOutput)
    def post(self, request, version_id: int):
        version = model_version_for_admin(user=request.user, version_id=version_id)
        return Response(ModelVersionOutput(services.model_version_activate(version=version)).data)
