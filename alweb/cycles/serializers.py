"""How cycles and model versions look to API clients; every endpoint that shows one uses these."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alweb.api_fields import FiniteFloatField
from alweb.cycles.models import Cycle, ModelVersion
from alweb.cycles.shapes import STARTING_WEIGHTS, CycleMetrics, CycleProgress


class CycleProgressOutput(serializers.Serializer):
    phase = serializers.CharField(allow_null=True)
    epoch = serializers.IntegerField(allow_null=True)
    epochs = serializers.IntegerField(allow_null=True)
    step = serializers.IntegerField(allow_null=True)
    steps = serializers.IntegerField(allow_null=True)
    eta_s = FiniteFloatField(allow_null=True)
    losses = serializers.DictField(child=FiniteFloatField(), allow_null=True)
    starting_weights = serializers.ChoiceField(
        choices=STARTING_WEIGHTS,
        allow_null=True,
        required=False,
        help_text="Where the network started: the previous cycle's model, ImageNet weights (BACKBONE_WEIGHTS), "
        "random values because no BACKBONE_WEIGHTS file is set, or random values (the hourglasses).",
    )


class CycleMetricsOutput(serializers.Serializer):
    pck_selected = FiniteFloatField(allow_null=True)
    pck_selected_ci = serializers.ListField(child=FiniteFloatField(), allow_null=True, help_text="95 % interval")
    pck_audit = FiniteFloatField(
        allow_null=True, help_text="PCK on the labelled audit sample: random pool images mixed into the queue."
    )
    pck_audit_ci = serializers.ListField(child=FiniteFloatField(), allow_null=True, help_text="95 % interval")
    audit_labelled = serializers.IntegerField()
    ranking_verdict = serializers.ChoiceField(
        choices=["found", "not_found", "unclear", "too_few"],
        allow_null=True,
        help_text="found: the selected images' PCK is below the audit sample's (95 % Welch interval).",
    )
    spearman = FiniteFloatField(allow_null=True)
    kendall = FiniteFloatField(allow_null=True)
    val_pck = FiniteFloatField(allow_null=True)
    labelled = serializers.IntegerField()


class CycleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    index = serializers.IntegerField()
    state = serializers.CharField()
    strategy = serializers.CharField()
    budget = serializers.IntegerField()
    epochs = serializers.IntegerField()
    head_epochs = serializers.IntegerField()
    audit_fraction = FiniteFloatField()
    model = serializers.CharField(source="model_name")
    progress = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()

    @extend_schema_field(CycleProgressOutput)
    def get_progress(self, cycle: Cycle) -> dict:
        stored = cycle.progress
        # A cycle stored before its first report has no phase; clients read null, not "".
        progress = CycleProgressOutput(CycleProgress.from_json(stored)).data
        return progress | {"phase": stored.get("phase")}

    @extend_schema_field(CycleMetricsOutput)
    def get_metrics(self, cycle: Cycle) -> dict:
        return CycleMetricsOutput(CycleMetrics.from_json(cycle.metrics)).data


class ModelVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField(source="cycle_id", allow_null=True)
    cycle_index = serializers.IntegerField(source="cycle.index", allow_null=True, default=None)
    model = serializers.CharField(source="model_name")
    is_active = serializers.BooleanField()
    val_pck = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_val_pck(self, version: ModelVersion) -> float | None:
        return version.metrics.get("val_pck")
