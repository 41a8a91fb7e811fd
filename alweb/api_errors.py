"""One JSON error shape for every failure: domain errors, DRF's own, and the database being down."""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from alweb import errors

logger = logging.getLogger(__name__)

# The HTTP status of each domain error; InvalidInput is a 400 with DRF's field-error body.
DOMAIN_STATUS = {
    errors.Refused: status.HTTP_400_BAD_REQUEST,
    errors.NotAllowed: status.HTTP_403_FORBIDDEN,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.PreconditionFailed: status.HTTP_412_PRECONDITION_FAILED,
    errors.PreconditionRequired: status.HTTP_428_PRECONDITION_REQUIRED,
}


def exception_handler(exc, context):
    """Render domain and DRF errors as DRF does; turn a lost database connection into a 503."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {"detail": "The database is unavailable; try again shortly.", "code": "database_unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DatabaseError):
        return None
    if isinstance(exc, errors.DomainError):
        exc = as_api_exception(exc)
    return drf_exception_handler(exc, context)


def as_api_exception(error: errors.DomainError) -> APIException:
    """The DRF exception that renders a domain error with its status and body."""
    if isinstance(error, errors.InvalidInput):
        return ValidationError(error.detail)
    api_exception = APIException(error.detail)
    api_exception.status_code = next(code for kind, code in DOMAIN_STATUS.items() if isinstance(error, kind))
    return api_exception


# Django's own error views (no route, a bad request, a crash) for requests under /api/.
API_PREFIX = "/api/"


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Internal server error.", "code": "server_error"}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )
    return defaults.server_error(request)
