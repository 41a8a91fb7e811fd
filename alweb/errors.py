"""The errors services raise when they refuse a request, in the domain's words.

Services never name HTTP status codes: alweb/api_errors.py maps each kind below to one status
and the JSON body clients have always received. `detail` is a message, or for InvalidInput a
{field: message or [messages]} dict naming what is wrong.
"""


class DomainError(Exception):
    default_detail = "The request was refused."

    def __init__(self, detail=None):
        self.detail = self.default_detail if detail is None else detail
        super().__init__(str(self.detail))


class InvalidInput(DomainError):
    """Input that breaks a rule of the domain (a label outside its image, an unknown strategy)."""

    default_detail = "The input is invalid."

    @property
    def first_message(self) -> str:
        """The first message, whatever shape the detail has: for a report that lists several errors."""
        detail = self.detail
        if isinstance(detail, dict):
            detail = next(iter(detail.values()))
        if isinstance(detail, list):
            detail = detail[0]
        return str(detail)


class Refused(DomainError):
    """A request the service will not carry out as sent (more files than the limit)."""


class NotFound(DomainError):
    """No such object, or one the user may not know exists: the same answer either way."""

    default_detail = "Not found."


class NotAllowed(DomainError):
    """The user belongs to the project but their role may not do this."""

    default_detail = "You may not do this."


class Conflict(DomainError):
    """The request clashes with the current state (a cycle already running, a lease taken)."""

    default_detail = "The request conflicts with the current state."


class PreconditionFailed(DomainError):
    """The object changed since the client read it (a stale If-Match)."""

    default_detail = "The resource changed since you read it."


class PreconditionRequired(DomainError):
    """Changing this object needs the version the client read (If-Match)."""

    default_detail = "Send If-Match with the ETag you read."
