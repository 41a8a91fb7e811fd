"""GET /api/v1/health/: whether the database and the broker answer (no sign-in needed)."""
import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.celery import app as celery_app

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_S = 2


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError as exc:
        logger.warning("health: database unavailable: %s", exc)
        return False


def broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
        return True
    except Exception as exc:  # kombu raises transport-specific errors; any of them means "down"
        logger.warning("health: broker unavailable: %s", exc)
        return False


class HealthApi(APIView):
    # Load balancers and compose healthchecks ask without credentials.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        database = serializers.ChoiceField(choices=["ok", "unavailable"])
        broker = serializers.ChoiceField(choices=["ok", "unavailable"])

    @extend_schema(responses={200: OutputSerializer, 503: OutputSerializer})
    def get(self, request):
        checks = {"database": database_ok(), "broker": broker_ok()}
        body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
        code = status.HTTP_200_OK if all(checks.values()) else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(self.OutputSerializer(body).data, status=code)
