"""Notification pages: the list under the bell, and how each person hears of each kind of news.

- `notification-list` (`/notifications/`): the signed-in person's notifications, newest first, unread ones
  marked; filters `show=unread`, `kind`, `portfolio`; "Mark read" per row and "Mark all read" (of the
  filtered portfolio and kind) by POST; each title opens the thing through `notification-open`.
- `notification-open` (`/notifications/<id>/open/`): marks it read and goes to what it is about.
- `notification-read` (POST): marks one read; with htmx, answers the row and the bell (out of band).
- `notification-read-all` (POST): marks all read (`portfolio`, `kind` narrow it).
- `notification-settings` (`/notifications/settings/`): a grid per portfolio, kinds × in the app / by
  e-mail / in the daily digest; "Use the defaults" per portfolio.

A person reaches only their own notifications: another person's is the same 404 as a missing one.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pmflow import access
from products.models import Notification, NotificationSetting, Portfolio
from products.pages import page
from products.services import notifications as services

PER_PAGE = 50
Kind = Notification.Kind
CHANNEL_LABELS = {"in_app": "In the app", "email": "By e-mail", "digest": "Daily digest"}
CHANNEL_PHRASES = {"in_app": "in the app", "email": "by e-mail", "digest": "in the daily digest"}


class NotificationFilter(forms.Form):
    show = forms.ChoiceField(choices=[("", "All"), ("unread", "Unread only")], required=False, label="Show")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Kind.choices], required=False, label="Kind")
    # An id, shown as a choice of the person's portfolios; another one's id is no error, just nothing shown.
    portfolio = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False, label="Portfolio")

    def __init__(self, *args, portfolios=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["portfolio"].widget = forms.Select(
            choices=[("", "All portfolios"), *((p.id, p.name) for p in portfolios)]
        )

    def wanted(self) -> dict:
        """The filters given and valid (a bad one is shown on the form and not applied)."""
        if not self.is_bound or not self.is_valid():
            valid = {}
            if self.is_bound:
                valid = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        else:
            valid = dict(self.cleaned_data)
        return {name: value for name, value in valid.items() if value not in (None, "")}


def _portfolios(user):
    return list(Portfolio.objects.filter(pk__in=list(access.roles_by_portfolio(user))).order_by("name", "id"))


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@page
def notification_list(request):
    portfolios = _portfolios(request.user)
    filters = NotificationFilter(request.GET or None, portfolios=portfolios)
    wanted = filters.wanted()
    rows = services.notifications_for_user(request.user).select_related("portfolio")
    if wanted.get("show") == "unread":
        rows = rows.filter(read_at__isnull=True)
    if "kind" in wanted:
        rows = rows.filter(kind=wanted["kind"])
    if "portfolio" in wanted:
        rows = rows.filter(portfolio_id=wanted["portfolio"])
    listing = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    names = {p.id: p.name for p in portfolios}
    return render(
        request,
        "products/notifications/list.html",
        {
            "crumbs": [("Notifications", None)],
            "section": "notifications",
            "filters": filters,
            "filtered": bool(wanted),
            "wanted": wanted,
            "wanted_portfolio_name": names.get(wanted.get("portfolio")),
            "listing": listing,
            "rows": list(listing),
            "query": query.urlencode(),
            "here": request.get_full_path(),
            "has_portfolios": bool(portfolios),
        },
        status=400 if filters.is_bound and filters.errors else 200,
    )


@page
def notification_open(request, notification_id: int):
    notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("notification-list")


@require_POST
@page
def notification_read(request, notification_id: int):
    notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "products/notifications/_read_row.html",
            {"n": notification, "here": _safe_next(request, reverse("notification-list"))},
        )
    return redirect(_safe_next(request, reverse("notification-list")))


@require_POST
@page
def notification_read_all(request):
    portfolio_id, kind = request.POST.get("portfolio") or None, request.POST.get("kind") or None
    try:
        portfolio_id = int(portfolio_id) if portfolio_id else None
    except ValueError:
        portfolio_id = None
    if kind not in Kind.values:
        kind = None
    count = services.notifications_mark_all_read(user=request.user, portfolio_id=portfolio_id, kind=kind)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    else:
        messages.info(request, "Nothing unread.")
    return redirect(_safe_next(request, reverse("notification-list")))


def _cell(portfolio_id: int, kind: str, channel: str) -> str:
    return f"c-{portfolio_id}-{kind}-{channel}"


@page
def notification_settings(request):
    if request.method == "POST":
        reset = request.POST.get("reset")
        if reset:
            try:
                portfolio_id = int(reset)
            except ValueError:
                portfolio_id = None
            if portfolio_id is not None and access.role_in(request.user, portfolio_id) is not None:
                NotificationSetting.objects.filter(user=request.user, portfolio_id=portfolio_id).delete()
                messages.success(request, "That portfolio uses the defaults again.")
            return redirect("notification-settings")
        grid = {}
        for row in services.settings_grid(request.user):
            grid[(row["portfolio"], row["kind"])] = {
                channel: bool(request.POST.get(_cell(row["portfolio"], row["kind"], channel)))
                for channel in services.CHANNELS
            }
        changed = services.notification_settings_save(user=request.user, grid=grid)
        messages.success(
            request, f"Saved: {changed} change{'s' if changed != 1 else ''}." if changed else "Nothing changed."
        )
        return redirect("notification-settings")
    grid = services.settings_grid(request.user)
    portfolios = {}
    for row in grid:
        entry = portfolios.setdefault(
            row["portfolio"], {"id": row["portfolio"], "name": row["portfolio_name"], "rows": [], "customised": False}
        )
        row["cells"] = [
            {
                "channel": channel,
                "name": _cell(row["portfolio"], row["kind"], channel),
                "on": row[channel],
                "label": CHANNEL_LABELS[channel],
                "phrase": CHANNEL_PHRASES[channel],
            }
            for channel in services.CHANNELS
        ]
        row["default"] = services.default_channels(row["kind"])
        entry["rows"].append(row)
        entry["customised"] = entry["customised"] or not row["is_default"]
    defaults = [
        {"label": kind.label, **{channel: getattr(services.DEFAULTS[kind], channel) for channel in services.CHANNELS}}
        for kind in Kind
    ]
    return render(
        request,
        "products/notifications/settings.html",
        {
            "crumbs": [("Notifications", reverse("notification-list")), ("Settings", None)],
            "section": "notifications",
            "portfolios": list(portfolios.values()),
            "defaults": defaults,
            "channel_labels": CHANNEL_LABELS,
            "has_email": bool(request.user.email),
            "digest_hour": settings.NOTIFICATION_DIGEST_HOUR_UTC,
        },
    )


urlpatterns = [
    path("notifications/", notification_list, name="notification-list"),
    path("notifications/settings/", notification_settings, name="notification-settings"),
    path("notifications/read-all/", notification_read_all, name="notification-read-all"),
    path("notifications/<int:notification_id>/read/", notification_read, name="notification-read"),
    path("notifications/<int:notification_id>/open/", notification_open, name="notification-open"),
]
