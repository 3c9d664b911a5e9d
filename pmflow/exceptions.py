"""The one place domain errors become HTTP statuses."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pmflow.errors import DomainError


def exception_handler(exc, context):
    """Map domain errors to their HTTP status once, for every endpoint."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return Response(
            {
                "detail": f"The request body is larger than {limit} MiB; send fewer items per request.",
                "code": "too_large",
            },
            status=413,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A bare list of messages (a filter's ValidationError) becomes an object like every other error.
        response.data = {"non_field_errors": response.data}
    return response


def not_found(request, exception=None):
    """404 for every URL: JSON under /api/ (clients parse it), the branded page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)
