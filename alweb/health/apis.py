"""GET /api/v1/health/: whether the database and the broker answer and beat runs (no sign-in needed)."""

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from alweb.celery import app as celery_app
from alweb.cycles.dispatch import CYCLES_RECOVER
from alweb.health.selectors import periodic_run_age_seconds

logger = logging.getLogger(__name__)
PROCESS_STARTED = time.monotonic()
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


def beat_state() -> str:
    """ok: the periodic recovery ran lately; stale: not for a few periods (beat died, or never started
    since this process did); waiting: it has not run yet, and this process started too recently to tell."""
    age = periodic_run_age_seconds(name=CYCLES_RECOVER)
    if age is not None and age <= settings.HEALTH_BEAT_STALE_S:
        return "ok"
    if age is None and time.monotonic() - PROCESS_STARTED < settings.HEALTH_BEAT_STALE_S:
        return "waiting"
    return "stale"


class HealthApi(APIView):
    # Load balancers and compose healthchecks ask without credentials.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="Health")
    class OutputSerializer(serializers.Serializer):
        database = serializers.ChoiceField(choices=["ok", "unavailable"])
        broker = serializers.ChoiceField(choices=["ok", "unavailable"])
        beat = serializers.ChoiceField(
            choices=["ok", "waiting", "stale"],
            help_text="Whether the periodic recovery of stalled cycles ran lately; stale (503): beat is down.",
        )

    @extend_schema(responses={200: OutputSerializer, 503: OutputSerializer})
    def get(self, request):
        checks = {"database": database_ok(), "broker": broker_ok()}
        body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
        body["beat"] = beat_state() if checks["database"] else "waiting"
        healthy = all(checks.values()) and body["beat"] != "stale"
        code = status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(self.OutputSerializer(body).data, status=code)
