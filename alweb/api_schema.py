"""The OpenAPI schema documents every status an operation can answer, each with its error body.

Views declare what is particular to them (their success bodies, a 412 or 428); the statuses
that follow from how every view works are added here: authentication and roles (401, 403),
objects named in the path (404), bodies (400, 413, 415), writes that meet the current state
(409), throttling (429) and the database being down (503).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ERROR_DESCRIPTIONS = {
    "400": "The input is invalid: a message, or the messages of each field at fault.",
    "401": "Not signed in: send `Authorization: Token <token>` or a session cookie.",
    "403": "Your role in the project may not do this.",
    "404": "No such object, or one in a project you are not a member of.",
    "409": "The request conflicts with the current state.",
    "412": "The object changed since you read it (stale If-Match).",
    "413": "The request body is larger than this endpoint's limit.",
    "415": "The body's media type is not one this endpoint reads.",
    "428": "Send If-Match with the ETag you read.",
    "429": "Too many requests; wait as long as Retry-After says.",
    "503": "The database is unavailable; try again after Retry-After seconds.",
}


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    """The body of every error but a field-by-field 400."""

    detail = serializers.CharField(help_text="What went wrong, in words.")
    code = serializers.CharField(required=False, help_text="A stable name for some errors, e.g. request_too_large.")


# A 400 names the fields at fault ({"field": ["message"]}) or says what is wrong ({"detail": "..."}).
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {},
    "description": ERROR_DESCRIPTIONS["400"],
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = {"description": ERROR_DESCRIPTIONS[code]}
        for code, response in responses.items():
            # An error a view describes in words only still has the error body.
            if code >= "400" and "content" not in response:
                body = VALIDATION_ERROR_SCHEMA if code == "400" else ErrorOutput
                response["content"] = self._get_response_for_code(body, code, direction=direction)["content"]
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        codes = ["429", "503"]
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITE_METHODS and "401" in codes:
            codes.append("409")
        if self.method in BODY_METHODS or self._has_query_parameters():
            codes.append("400")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        return codes

    def _has_query_parameters(self) -> bool:
        return any(parameter.get("in") == "query" for parameter in self._get_parameters())
