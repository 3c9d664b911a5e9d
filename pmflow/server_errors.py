"""The 500 handler: a database that cannot be reached is a 503 ("try again"), not a crash.

Django calls `handler500` for any exception a view or middleware let through. When that exception is
a lost or refused database connection, nothing was written (the transaction, if any, never
committed), so the honest answer is 503 with `Retry-After`: JSON under /api/, a page elsewhere.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "pmflow cannot reach its database right now. Nothing was saved; please try again in a minute."


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@requires_csrf_token
def server_error(request):
    unavailable = database_unavailable(sys.exc_info()[1])
    api = request.path.startswith("/api/")
    if unavailable:
        if api:
            response = JsonResponse({"detail": UNAVAILABLE, "code": "service_unavailable"}, status=503)
        else:
            # A standalone template: context processors would ask the database who is signed in.
            response = HttpResponse(loader.get_template("503.html").render({"message": UNAVAILABLE}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if api:
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return django_server_error(request)
