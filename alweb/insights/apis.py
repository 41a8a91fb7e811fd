"""Thin read-only REST views for the admins' dashboard; any member may read them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.api_fields import FiniteFloatField
from alweb.cycles.selectors import active_model_version
from alweb.cycles.serializers import ModelVersionOutput
from alweb.insights import selectors
from alweb.insights.loss_analysis import NotEnoughLosses, analyse_losses
from alweb.projects.access import cycle_for_member, project_for_member


class AnnotatorRateOutput(serializers.Serializer):
    username = serializers.CharField()
    labels = serializers.IntegerField()
    per_hour = FiniteFloatField()


class HourOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    labels = serializers.IntegerField()


class LabellingOutput(serializers.Serializer):
    window_hours = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Label saves in the window, corrections included.")
    per_hour = FiniteFloatField()
    annotators = AnnotatorRateOutput(many=True)
    hours = HourOutput(many=True, help_text="Label saves per hour, oldest hour first.")


class OverviewOutput(serializers.Serializer):
    images = serializers.DictField(help_text="total, by_state and by_split, as images/counts/ gives them.")
    labelled = serializers.IntegerField(help_text="Labelled images a cycle trains on (validation excluded).")
    validation = serializers.IntegerField(help_text="Labelled images of the validation split.")
    queue = serializers.DictField(child=serializers.IntegerField(), help_text="open, leased, done.")
    active_model = ModelVersionOutput(allow_null=True)
    labelling = LabellingOutput()


class ProjectOverviewApi(APIView):
    @extend_schema(tags=["insights"], responses=OverviewOutput)
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response(OverviewOutput(selectors.project_overview(project=project)).data)


class LossAnalysisOutput(serializers.Serializer):
    model_version = ModelVersionOutput(allow_null=True)
    analysis = serializers.DictField(
        allow_null=True,
        help_text="count, excluded, mean, gamma {k, theta}, histogram {edges, density}, density {x, pdf}, "
        "within_delta [{delta, probability}], gradient_offset [{delta, expected_target, offset}], explanation.",
    )
    detail = serializers.CharField(help_text="Why there is no analysis, when there is none.")


class LossAnalysisApi(APIView):
    @extend_schema(tags=["insights"], responses=LossAnalysisOutput)
    def get(self, request, project_id: int):
        """The Gamma analysis of the active model's training losses; "analysis" is null until one can be made."""
        project = project_for_member(user=request.user, project_id=project_id)
        version = active_model_version(project=project)
        if version is None:
            body = {"model_version": None, "analysis": None, "detail": "No model has been trained yet."}
            return Response(LossAnalysisOutput(body).data)
        body = {"model_version": version, "analysis": None, "detail": ""}
        try:
            body["analysis"] = analyse_losses(version.metrics.get("train_losses") or [])
        except NotEnoughLosses as error:
            body["detail"] = str(error)
        return Response(LossAnalysisOutput(body).data)


class ScatterPointOutput(serializers.Serializer):
    image = serializers.IntegerField(source="image_id")
    rank = serializers.IntegerField()
    predicted_loss = FiniteFloatField()
    realized_loss = FiniteFloatField()
    pck = FiniteFloatField(allow_null=True)


class CycleScatterOutput(serializers.Serializer):
    cycle = serializers.IntegerField()
    index = serializers.IntegerField()
    strategy = serializers.CharField()
    spearman = FiniteFloatField(allow_null=True)
    kendall = FiniteFloatField(allow_null=True)
    measured = serializers.IntegerField(help_text="Selected images labelled and measured so far.")
    points = ScatterPointOutput(
        many=True,
        help_text=f"Every measured image, by rank; above {selectors.SCATTER_MAX_POINTS} a random sample of "
        f"{selectors.SCATTER_MAX_POINTS} of them, the same on every request (spearman and kendall are over all).",
    )


class CycleScatterApi(APIView):
    @extend_schema(tags=["insights"], responses=CycleScatterOutput)
    def get(self, request, cycle_id: int):
        """Predicted against realized loss of the cycle's selected images that were labelled."""
        cycle = cycle_for_member(user=request.user, cycle_id=cycle_id)
        points, measured = selectors.cycle_outcomes(cycle=cycle)
        body = {
            "cycle": cycle.id,
            "index": cycle.index,
            "strategy": cycle.strategy,
            "spearman": cycle.metrics.get("spearman"),
            "kendall": cycle.metrics.get("kendall"),
            "measured": measured,
            "points": points,
        }
        return Response(CycleScatterOutput(body).data)
