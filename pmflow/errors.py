"""The one family of domain errors services raise.

The API maps them to HTTP statuses in `pmflow.api.exception_handler`; pages turn them into messages.
"""


class DomainError(Exception):
    """A rule of the domain said no. `status` is the HTTP status the API answers with."""

    status = 400
    code = "domain_error"

    def __init__(self, message: str = "", **details):
        super().__init__(message or self.__doc__)
        self.message = message or (self.__doc__ or "").strip()
        self.details = details

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, **self.details}


class NotFound(DomainError):
    """Not found."""

    status = 404
    code = "not_found"


class NotAllowed(DomainError):
    """Your role in this portfolio does not allow this."""

    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    """The input is not valid. `fields` maps a field name to its messages."""

    status = 400
    code = "invalid"

    def __init__(self, message: str = "", *, fields: dict | None = None, **details):
        super().__init__(message, **details)
        self.fields = fields or {}

    def as_dict(self) -> dict:
        if self.fields:
            return {**{k: v if isinstance(v, list) else [v] for k, v in self.fields.items()}, **self.details}
        return super().as_dict()
