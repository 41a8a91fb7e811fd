"""Thin REST views for the annotators' queue and their leases."""

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.api_fields import FiniteFloatField, StrictUUIDField
from alweb.api_pagination import StrictCursorPagination
from alweb.projects.access import project_for_member
from alweb.projects.models import Project
from alweb.queue import selectors, services


class QueueEntryOutput(serializers.Serializer):
    image = serializers.IntegerField(source="image_id")
    rank = serializers.IntegerField()
    predicted_loss = FiniteFloatField()
    top_percent = FiniteFloatField(
        allow_null=True,
        help_text="Where the predicted loss stands in the scored pool, in percent from the top (2.0: top 2 %).",
    )
    keypoints = serializers.ListField(
        child=serializers.ListField(child=FiniteFloatField()),
        help_text="The model's K points [x, y, confidence] for the instance it most likely gets wrong.",
    )
    instances = serializers.SerializerMethodField(
        help_text="Every person instance: bbox [x, y, w, h], keypoints [[x, y, confidence]], predicted_loss; "
        "highest predicted loss first."
    )

    def get_instances(self, entry) -> list[dict]:
        if entry.instances:
            return entry.instances
        # Entries made before instances were stored: one instance covering the image.
        return [
            {
                "bbox": [0.0, 0.0, float(entry.image.width), float(entry.image.height)],
                "keypoints": entry.keypoints,
                "predicted_loss": entry.predicted_loss,
            }
        ]


class LeaseOutput(serializers.Serializer):
    id = serializers.UUIDField(source="lease_id")
    expires_at = serializers.DateTimeField(source="lease_expires_at")


class LeasedEntryOutput(QueueEntryOutput):
    lease = LeaseOutput(source="*")
    image_url = serializers.SerializerMethodField()
    width = serializers.IntegerField(source="image.width")
    height = serializers.IntegerField(source="image.height")

    def get_image_url(self, entry) -> str:
        return f"/api/v1/images/{entry.image_id}/file"


class QueuePageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueEntryOutput(many=True)


class QueueStatsOutput(serializers.Serializer):
    open = serializers.IntegerField(help_text="Entries of the selection not labelled yet, leased ones included.")
    leased = serializers.IntegerField(help_text="Open entries under a live lease.")
    done = serializers.IntegerField(help_text="Entries of the current selection labelled so far.")


class QueuePagination(StrictCursorPagination):
    # Open ranks are unique per project, so the cursor is exact and rides the ranked index.
    ordering = "rank"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class QueueListApi(APIView):
    @extend_schema(
        tags=["queue"],
        parameters=[
            OpenApiParameter("cursor", str, description="The cursor from the previous page's 'next'."),
            OpenApiParameter("page_size", int, description="Entries per page, 50 by default, at most 500."),
        ],
        responses=QueuePageOutput,
    )
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        paginator = QueuePagination()
        page = paginator.paginate_queryset(selectors.queue_entries(project=project), request, view=self)
        return paginator.get_paginated_response(QueueEntryOutput(page, many=True).data)


class QueueNextApi(APIView):
    @extend_schema_serializer(component_name="QueueNext")
    class InputSerializer(serializers.Serializer):
        after = StrictUUIDField(
            required=False,
            help_text="One of your leases: lease the image to label after that one too, so that the editor "
            "can prefetch it. You hold two leases at most; asking again returns the same second image.",
        )

    @extend_schema(tags=["queue"], request=InputSerializer, responses={200: LeasedEntryOutput, 204: None})
    def post(self, request, project_id: int):
        after = None
        # Most requests send no body (or {}); a serializer for nothing costs more than the claim. Anything
        # else, a JSON [] or 0 included, goes through it.
        if request.data != {}:
            serializer = self.InputSerializer(data=request.data)
            if not serializer.is_valid():
                # Outsiders get 404 whatever they send.
                project_for_member(user=request.user, project_id=project_id)
                raise serializers.ValidationError(serializer.errors)
            after = serializer.validated_data.get("after")
        # lease_next checks the membership in the transaction that leases: one read, no Project loaded.
        entry = services.lease_next(project=Project(pk=project_id), user=request.user, after=after)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(leased_entry_body(entry))


_EXPIRES_AT = serializers.DateTimeField()


def leased_entry_body(entry) -> dict:
    """LeasedEntryOutput's body, built as a plain dict: queue/next is the hottest request and a serializer costs ms.

    The entry carries its image's size as image_width and image_height (services.lease_next).
    """
    keypoints = [[float(value) for value in point] for point in entry.keypoints]
    predicted_loss = float(entry.predicted_loss)
    width, height = entry.image_width, entry.image_height
    # Entries made before instances were stored: one instance covering the image (as QueueEntryOutput).
    instances = entry.instances or [
        {
            "bbox": [0.0, 0.0, float(width), float(height)],
            "keypoints": entry.keypoints,
            "predicted_loss": predicted_loss,
        }
    ]
    return {
        "image": entry.image_id,
        "rank": entry.rank,
        "predicted_loss": predicted_loss,
        "top_percent": None if entry.top_percent is None else float(entry.top_percent),
        "keypoints": keypoints,
        "instances": instances,
        "lease": {"id": str(entry.lease_id), "expires_at": _EXPIRES_AT.to_representation(entry.lease_expires_at)},
        "image_url": f"/api/v1/images/{entry.image_id}/file",
        "width": width,
        "height": height,
    }


class QueueStatsApi(APIView):
    @extend_schema(tags=["queue"], responses=QueueStatsOutput)
    def get(self, request, project_id: int):
        project = project_for_member(user=request.user, project_id=project_id)
        return Response(selectors.queue_stats(project=project))


def _lease_uuid(raw: str) -> uuid.UUID:
    """The lease id from the URL; anything that is not a UUID names no lease."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such lease.") from None


class LeaseRenewApi(APIView):
    @extend_schema(tags=["queue"], request=None, responses=LeaseOutput)
    def post(self, request, lease_id: str):
        entry = services.lease_renew(lease_id=_lease_uuid(lease_id), user=request.user)
        return Response(LeaseOutput(entry).data)


class LeaseReleaseApi(APIView):
    @extend_schema(tags=["queue"], request=None, responses={204: None})
    def post(self, request, lease_id: str):
        services.lease_release(lease_id=_lease_uuid(lease_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
