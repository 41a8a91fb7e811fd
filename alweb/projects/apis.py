"""Thin REST views for projects and their members."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.api_fields import FiniteFloatField, StrictCharField
from alweb.projects import selectors, services
from alweb.projects.access import ensure_may_create_project, project_for_admin, project_for_member
from alweb.projects.cycle_defaults import cycle_defaults_of
from alweb.projects.models import Membership
from ml.models.registry import PRESETS as MODEL_PRESETS
from ml.skeletons import PRESETS
from ml.strategies import STRATEGY_SPECS


class CycleDefaultsOutput(serializers.Serializer):
    strategy = serializers.CharField()
    model = serializers.CharField()
    budget = serializers.IntegerField()
    epochs = serializers.IntegerField()
    head_epochs = serializers.IntegerField()
    audit_fraction = FiniteFloatField()


@extend_schema_serializer(component_name="CycleDefaultsUpdate")
class CycleDefaultsInput(serializers.Serializer):
    """The fields of a cycle start (POST /projects/{id}/cycles/), under the same limits; each one optional."""

    strategy = serializers.ChoiceField(choices=sorted(STRATEGY_SPECS), required=False)
    model = serializers.ChoiceField(choices=sorted(MODEL_PRESETS), required=False)
    audit_fraction = FiniteFloatField(min_value=0.0, max_value=1.0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the request is validated, as the cycles endpoint does, so both apply the deployment's limits.
        max_epochs, max_budget = settings.CYCLE_MAX_EPOCHS, settings.CYCLE_MAX_BUDGET
        self.fields["budget"] = serializers.IntegerField(min_value=1, max_value=max_budget, required=False)
        self.fields["epochs"] = serializers.IntegerField(min_value=1, max_value=max_epochs, required=False)
        self.fields["head_epochs"] = serializers.IntegerField(min_value=0, max_value=max_epochs, required=False)


class ProjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    keypoints = serializers.ListField(child=serializers.CharField())
    edges = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    flip_pairs = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    preset = serializers.CharField()
    flag_percentile = FiniteFloatField()
    created_at = serializers.DateTimeField()
    cycle_defaults = serializers.SerializerMethodField(
        help_text="What the dashboard's cycle form starts from; the deployment's defaults where the admins set none."
    )

    @extend_schema_field(CycleDefaultsOutput)
    def get_cycle_defaults(self, project):
        return CycleDefaultsOutput(cycle_defaults_of(project)).data


def _index_pairs(**kwargs):
    pair = serializers.ListField(child=serializers.IntegerField(min_value=0), min_length=2, max_length=2)
    return serializers.ListField(child=pair, max_length=1000, **kwargs)


class ProjectListCreateApi(APIView):
    @extend_schema_serializer(component_name="ProjectCreate")
    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=200)
        preset = serializers.ChoiceField(choices=sorted(PRESETS), required=False)
        keypoints = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=100)
        edges = _index_pairs(required=False)
        flip_pairs = _index_pairs(required=False)

        def validate(self, attrs):
            if "preset" in attrs and "keypoints" in attrs:
                raise serializers.ValidationError("Give either a preset or custom keypoints, not both.")
            if "preset" not in attrs and "keypoints" not in attrs:
                raise serializers.ValidationError("Give a preset (lsp14, mpii16, coco17) or custom keypoints.")
            return attrs

    @extend_schema(
        tags=["projects"],
        operation_id="projects_list",
        responses=inline_serializer("ProjectList", {"results": ProjectOutput(many=True)}),
    )
    def get(self, request):
        projects = selectors.projects_for_user(user=request.user)
        return Response({"results": ProjectOutput(projects, many=True).data})

    @extend_schema(tags=["projects"], request=InputSerializer, responses={201: ProjectOutput})
    def post(self, request):
        ensure_may_create_project(user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(user=request.user, **serializer.validated_data)
        return Response(ProjectOutput(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema_serializer(component_name="ProjectUpdate")
    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=200, required=False)
        keypoints = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=100)
        edges = _index_pairs(required=False)
        flip_pairs = _index_pairs(required=False)
        flag_percentile = FiniteFloatField(min_value=0, max_value=100, required=False)
        cycle_defaults = CycleDefaultsInput(required=False)

    @extend_schema(tags=["projects"], responses=ProjectOutput)
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response(ProjectOutput(project).data)

    @extend_schema(tags=["projects"], request=InputSerializer, responses=ProjectOutput)
    def patch(self, request, project_id: int):
        project = project_for_admin(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(project=project, data=serializer.validated_data)
        return Response(ProjectOutput(project).data)

    put = patch


class MembershipOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()


class MemberListCreateApi(APIView):
    @extend_schema_serializer(component_name="MemberSet")
    class InputSerializer(serializers.Serializer):
        username = StrictCharField(max_length=150)
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(
        tags=["projects"], responses=inline_serializer("MemberList", {"results": MembershipOutput(many=True)})
    )
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response({"results": MembershipOutput(selectors.memberships_of(project=project), many=True).data})

    @extend_schema(tags=["projects"], request=InputSerializer, responses={200: MembershipOutput, 201: MembershipOutput})
    def post(self, request, project_id: int):
        project = project_for_admin(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership, created = services.membership_set(project=project, **serializer.validated_data)
        return Response(
            MembershipOutput(membership).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MemberDetailApi(APIView):
    @extend_schema(tags=["projects"], responses={204: None})
    def delete(self, request, project_id: int, username: str):
        project = project_for_admin(user=request.user, project_id=project_id)
        membership = selectors.memberships_of(project=project).filter(user__username=username).first()
        if membership is None:
            raise NotFound("No such member.")
        services.membership_remove(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
