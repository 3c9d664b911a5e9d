"""Sign-in protection around django-axes: how long a lockout lasts, and telling the user so.

django-axes (settings "Sign-in protection") counts failed sign-ins per account and per client address
in the database and refuses a locked-out sign-in before the password is checked. This module adds what
axes leaves to the project: the sign-in page and the API say "try again in N minutes" with a 429, and a
successful sign-in clears that account's failures (but not the address's).
"""

import math
from collections.abc import Mapping

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpResponse
from django.utils import timezone


def attempted_username(request, credentials=None) -> str | None:
    """The username a sign-in tried (AXES_USERNAME_CALLABLE), cut to what axes can store."""
    if credentials:
        username = credentials.get("username")
    else:
        data = getattr(request, "data", None)
        username = (data if isinstance(data, Mapping) else request.POST).get("username")
    return None if username is None else str(username)[:255]


def lockout_seconds(request, credentials=None) -> int:
    """Seconds until this request's account and address may sign in again; 0 when neither is locked.

    A lockout holds while the failures counted within the cool-off reach the limit; they are all counted
    until the cool-off has passed since the latest of them (attempts while locked out are not counted).
    """
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    ends = []
    for attempts in handler.get_user_attempts(request, credentials):
        counted = attempts.aggregate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        if (counted["failures"] or 0) >= limit:
            ends.append(counted["latest"] + cool_off)
    if not ends:
        return 0
    return max(1, math.ceil((max(ends) - timezone.now()).total_seconds()))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many failed sign-in attempts. Try again in {minutes} minute{'' if minutes == 1 else 's'}."


def locked_out(request) -> int:
    """Seconds left if axes refused or just locked this request's sign-in, else 0."""
    if not getattr(request, "axes_locked_out", False):
        return 0
    return max(1, lockout_seconds(request, getattr(request, "axes_credentials", None)))


class SignInView(auth_views.LoginView):
    """Django's sign-in page; a lockout re-renders the form with how long it lasts (429)."""

    redirect_authenticated_user = True

    def form_invalid(self, form):
        seconds = locked_out(self.request)
        if not seconds:
            return super().form_invalid(form)
        form.errors.pop(NON_FIELD_ERRORS, None)  # not "wrong password": the password was not checked
        form.add_error(None, lockout_message(seconds))
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(seconds)
        return response


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: keep a page's own 429; any other sign-in form (the admin's) gets the message."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    seconds = max(1, lockout_seconds(request, credentials))
    response = HttpResponse(lockout_message(seconds), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


@receiver(user_logged_in, dispatch_uid="pmflow.signin.reset_account_failures")
def reset_account_failures(sender, request, user, **kwargs):
    """A successful sign-in clears the account's failures; the address keeps its own count."""
    AxesProxyHandler.reset_attempts(username=user.get_username())
