"""The one place domain errors become HTTP statuses."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pmflow.errors import DomainError


def exception_handler(exc, context):
    """Map domain errors to their HTTP status once, for every endpoint."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    return drf_exception_handler(exc, context)
