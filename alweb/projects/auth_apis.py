"""Token authentication for REST clients: get your token, or revoke it."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from alweb.throttles import LOGIN_THROTTLES

THROTTLED = OpenApiResponse(
    description="Too many sign-in attempts for this username or from this address; "
    "Retry-After says how many seconds to wait."
)


class TokenApi(ObtainAuthToken):
    """POST exchanges a username and password for the user's API token; DELETE revokes the caller's token."""

    throttle_classes = LOGIN_THROTTLES

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    def get_throttles(self):
        # Guessing happens at sign-in; revoking needs a valid credential already.
        return [] if self.request.method == "DELETE" else super().get_throttles()

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="The username and password do not match an active account."),
            429: THROTTLED,
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="The token is deleted; a later POST issues a new one."),
            401: OpenApiResponse(description="Not signed in."),
        },
    )
    def delete(self, request, *args, **kwargs):
        """Revoke the caller's API token: requests that send it are refused from now on."""
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
