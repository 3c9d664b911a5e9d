"""Pages: a portfolio's webhooks (admins only: a hook's address is often a credential).

- the list: each hook's address (host only), events, state (active, paused, disabled with its reason)
  and last delivery;
- the form (new and edit): the URL, a checkbox per event with what it means, a description, active;
- a hook's page: the secret once after creating or rotating it (with how a receiver verifies it), the
  delivery log (status, code, tries, error, next try, the payload), "Send test event", "Re-enable",
  "Rotate secret", delete, and the hook's history;
- confirmation pages for rotating the secret and deleting.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from pmflow.celery import app as celery_app
from pmflow.forms import save_with
from products import webhook_delivery
from products.models import DomainEvent, Stage, Webhook, WebhookDelivery
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user
from products.services import webhooks as services

PAGE_SIZE = 50
_SECRET_KEY = "webhook_secret_{}"


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Address (URL)",
        max_length=webhook_delivery.MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/pmflow", "autocomplete": "off"}),
        help_text="Where pmflow POSTs the events. https:// keeps them private on the way; the address must be "
        "reachable from the internet (not a private or local one).",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, name) for name in services.EVENTS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    description = forms.CharField(
        label="Description",
        max_length=services.MAX_DESCRIPTION,
        required=False,
        help_text="What receives it, for the people who look after it later: “CRM sync”, “#launches in Slack”.",
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Unticked, the hook is paused: events are kept and sent when it is active again.",
    )

    def clean_url(self):
        # The address as written here (the service checks where it resolves when the form is whole).
        url = self.cleaned_data["url"]
        if problem := webhook_delivery.url_problem(url):
            raise forms.ValidationError(problem)
        return url.strip()


def _event_rows(form: WebhookForm) -> list[dict]:
    """The event checkboxes with what each event means (the template renders them as a list)."""
    boxes = {box.data["value"]: box for box in form["events"]}
    return [{"box": boxes[name], "name": name, "meaning": meaning} for name, meaning in services.EVENTS.items()]


def _no_worker() -> bool:
    return bool(celery_app.conf.task_always_eager)


def _crumbs(portfolio, *tail):
    return [("Webhooks", reverse("webhook-list", args=[portfolio.id]) if tail else None), *tail]


def _state(webhook: Webhook) -> tuple[str, str]:
    """(css class, words) of a hook's state."""
    if webhook.is_active:
        return "active", "Active"
    if webhook.disabled_at is not None:
        return "disabled", "Disabled"
    return "paused", "Paused"


@page
def webhook_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    services.require_admin(request.user, portfolio.id)
    hooks = list(services.webhooks_for_user(request.user).filter(portfolio=portfolio))
    for hook in hooks:
        hook.state_class, hook.state_words = _state(hook)
        hook.host = webhook_delivery.redacted(hook.url)
        hook.last_words = (
            ("Retrying" if hook.last_attempts else "Queued")
            if hook.last_status == WebhookDelivery.Status.PENDING
            else (hook.last_status or "").capitalize()
        )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio),
        section="webhooks",
        model=Webhook,
        hooks=hooks,
        events=services.EVENTS,
        no_worker=_no_worker(),
    )
    return render(request, "products/webhooks/webhook_list.html", context)


def _form_page(request, portfolio, form, *, webhook=None, status=200):
    title = "New webhook" if webhook is None else f"Edit {services.label(webhook)}"
    back = (
        reverse("webhook-list", args=[portfolio.id]) if webhook is None else reverse("webhook-page", args=[webhook.id])
    )
    tail = [(title, None)] if webhook is None else [(services.label(webhook), back), ("Edit", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio, *tail),
        section="webhooks",
        model=Webhook,
        title=title,
        form=form,
        event_rows=_event_rows(form),
        webhook=webhook,
        cancel_url=back,
        allow_private=_allow_private(),
    )
    return render(request, "products/webhooks/webhook_form.html", context, status=status)


def _allow_private() -> bool:
    from django.conf import settings

    return bool(settings.WEBHOOK_ALLOW_PRIVATE)


@page
def webhook_create(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    services.require_admin(request.user, portfolio.id)
    form = WebhookForm(request.POST or None, initial={"events": list(services.EVENTS), "is_active": True})
    webhook = save_with(
        request,
        form,
        lambda data: services.webhook_create(
            portfolio=portfolio,
            url=data["url"],
            events=data["events"],
            description=data["description"],
            is_active=data["is_active"],
            actor=request.user,
        ),
    )
    if webhook is not None:
        request.session[_SECRET_KEY.format(webhook.id)] = webhook.secret
        messages.success(request, f"Webhook {services.label(webhook)} created. Copy its secret now.")
        return redirect("webhook-page", webhook.id)
    return _form_page(request, portfolio, form, status=400 if form.errors else 200)


@page
def webhook_edit(request, webhook_id: int):
    webhook = services.webhook_for_user(request.user, webhook_id)
    initial = {
        "url": webhook.url,
        "events": webhook.events,
        "description": webhook.description,
        "is_active": webhook.is_active,
    }
    form = WebhookForm(request.POST or None, initial=initial)
    saved = save_with(
        request,
        form,
        lambda data: services.webhook_update(
            webhook_id=webhook.id,
            url=data["url"],
            events=data["events"],
            description=data["description"],
            is_active=data["is_active"],
            actor=request.user,
        ),
    )
    if saved is not None:
        messages.success(request, f"Webhook {services.label(saved)} saved.")
        return redirect("webhook-page", webhook.id)
    return _form_page(request, webhook.portfolio, form, webhook=webhook, status=400 if form.errors else 200)


def _words(code) -> str:
    if code in Stage.values:
        return Stage(code).label
    return str(code or "—").replace("_", " ")


def _about(payload: dict) -> str:
    """What a delivery is about, in a line: "Insight Hub: Growth → Maturity"."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return ""
    event = payload.get("event")
    product = (data.get("product") or {}).get("name") if isinstance(data.get("product"), dict) else None
    of = f" of {product}" if product else ""
    if event == "product.stage_changed":
        return f"{product}: {_words(data.get('from_stage'))} → {_words(data.get('to_stage'))}"
    if event == "stage_suggestion.created":
        return f"{product}: suggested {_words(data.get('from_stage'))} → {_words(data.get('to_stage'))}"
    if event == "launch_plan.launched":
        return f"{(data.get('launch_plan') or {}).get('name', 'A launch plan')}{of} launched"
    if event == "release.shipped":
        release = data.get("release") or {}
        return f"{release.get('name') or release.get('version') or 'A release'}{of} shipped"
    if event == "kpi.health_changed":
        kpi = (data.get("kpi") or {}).get("name") or "A KPI"
        return f"{kpi}{of}: {_words(data.get('from_health'))} → {_words(data.get('to_health'))}"
    if event == "import.finished":
        return f"{(data.get('import') or {}).get('filename') or 'An import'}: {_words(data.get('status'))}"
    if event == services.TEST_EVENT:
        return f"Test event{' sent by ' + data['sent_by'] if data.get('sent_by') else ''}"
    return ""


def _delivery_rows(deliveries, webhook: Webhook) -> list[WebhookDelivery]:
    for delivery in deliveries:
        delivery.about = _about(delivery.payload)
        if delivery.status == WebhookDelivery.Status.PENDING:
            held = not webhook.is_active and delivery.event != services.TEST_EVENT
            delivery.state_words = (
                "Waiting for the hook to be enabled" if held else "Retrying" if delivery.attempts else "Queued"
            )
        else:
            delivery.state_words = delivery.get_status_display()
        delivery.body = webhook_delivery.body_bytes(delivery.payload).decode("utf-8")
    return deliveries


@page
def webhook_page(request, webhook_id: int):
    webhook = services.webhook_for_user(request.user, webhook_id)
    portfolio = webhook.portfolio
    secret = request.session.pop(_SECRET_KEY.format(webhook.id), None)
    wanted = request.GET.get("status")
    if wanted not in WebhookDelivery.Status.values:
        wanted = None
    deliveries = WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")
    if wanted:
        deliveries = deliveries.filter(status=wanted)
    page_of = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    history = list(
        DomainEvent.objects.filter(object_type="webhook", object_id=webhook.id)
        .select_related("actor")
        .order_by("-at", "-id")[:20]
    )
    for event in history:
        event.lines = _history_lines(event)
    webhook.state_class, webhook.state_words = _state(webhook)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio, (services.label(webhook), None)),
        section="webhooks",
        model=Webhook,
        webhook=webhook,
        host=webhook_delivery.redacted(webhook.url),
        events=[(name, services.EVENTS[name]) for name in webhook.events if name in services.EVENTS],
        secret=secret,
        snippet=webhook_delivery.RECEIVER_SNIPPET,
        deliveries=_delivery_rows(list(page_of), webhook),
        page_of=page_of,
        status_filter=wanted,
        statuses=WebhookDelivery.Status.choices,
        history=history,
        no_worker=_no_worker(),
        max_attempts=_max_attempts(),
    )
    return render(request, "products/webhooks/webhook_page.html", context)


def _shown(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _history_lines(event: DomainEvent) -> list[str]:
    """What a hook's event changed, in words (the URL as host only, as recorded)."""
    names = {"url": "Address", "events": "Events", "description": "Description", "is_active": "Active"}
    lines = []
    if event.verb in ("webhook.updated", "webhook.enabled"):
        lines = [
            f"{names.get(field, field)}: {_shown(pair[0])} → {_shown(pair[1])}"
            for field, pair in (event.changes or {}).items()
            if isinstance(pair, list) and len(pair) == 2
        ]
    elif event.verb == "webhook.created":
        lines = [f"Events: {_shown((event.data or {}).get('events'))}"]
    if reason := (event.data or {}).get("reason"):
        lines.append(reason)
    return lines


def _max_attempts() -> int:
    from django.conf import settings

    return int(settings.WEBHOOK_MAX_ATTEMPTS)


@page
@require_POST
def webhook_test(request, webhook_id: int):
    webhook = services.webhook_for_user(request.user, webhook_id)
    services.webhook_test(webhook_id=webhook.id, actor=request.user)
    note = (
        " No worker is configured: it waits until one runs."
        if _no_worker()
        else " It appears in the log below within seconds."
    )
    messages.success(request, "Test event queued." + note)
    return redirect("webhook-page", webhook.id)


@page
@require_POST
def webhook_enable(request, webhook_id: int):
    webhook = services.webhook_for_user(request.user, webhook_id)
    waiting = WebhookDelivery.objects.filter(webhook=webhook, status=WebhookDelivery.Status.PENDING).count()
    services.webhook_enable(webhook_id=webhook.id, actor=request.user)
    messages.success(
        request,
        f"Webhook {services.label(webhook)} is active again"
        + (f"; {waiting} waiting deliver{'y is' if waiting == 1 else 'ies are'} being sent." if waiting else "."),
    )
    return redirect("webhook-page", webhook.id)


@page
def webhook_rotate_secret(request, webhook_id: int):
    webhook = services.webhook_for_user(request.user, webhook_id)
    back = reverse("webhook-page", args=[webhook.id])
    if request.method == "POST":
        rotated = services.webhook_rotate_secret(webhook_id=webhook.id, actor=request.user)
        request.session[_SECRET_KEY.format(webhook.id)] = rotated.secret
        messages.success(request, "New secret made. Copy it now and give it to the receiver.")
        return redirect(back)
    context = portfolio_context(
        request,
        webhook.portfolio,
        crumbs=_crumbs(webhook.portfolio, (services.label(webhook), back), ("Rotate secret", None)),
        section="webhooks",
        model=Webhook,
        title=f"Rotate the secret of {services.label(webhook)}?",
        consequence_intro="A new secret is made and used at once.",
        consequences=[
            "Every delivery from now on, retries of earlier ones included, is signed with the new secret.",
            "The receiver rejects them until it has the new secret: update it right after.",
            "The new secret is shown once, on the next page.",
        ],
        alternative="If the receiver is being moved, pause the hook first (edit it, untick Active): events wait.",
        confirm_label="Make a new secret",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


@page
def webhook_delete(request, webhook_id: int):
    webhook = services.webhook_for_user(request.user, webhook_id)
    back = reverse("webhook-page", args=[webhook.id])
    if request.method == "POST":
        name = services.webhook_delete(webhook_id=webhook.id, actor=request.user)
        messages.success(request, f"Webhook {name} deleted.")
        return redirect("webhook-list", webhook.portfolio_id)
    count = WebhookDelivery.objects.filter(webhook=webhook).count()
    pending = WebhookDelivery.objects.filter(webhook=webhook, status=WebhookDelivery.Status.PENDING).count()
    consequences = [f"{webhook_delivery.redacted(webhook.url)} gets no more events from {webhook.portfolio.name}."]
    if count:
        consequences.append(f"Its log of {count} deliver{'y' if count == 1 else 'ies'} is deleted with it.")
    if pending:
        consequences.append(f"{pending} deliver{'y' if pending == 1 else 'ies'} not sent yet will never be.")
    context = portfolio_context(
        request,
        webhook.portfolio,
        crumbs=_crumbs(webhook.portfolio, (services.label(webhook), back), ("Delete", None)),
        section="webhooks",
        model=Webhook,
        title=f"Delete the webhook {services.label(webhook)}?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="To stop it for a while, pause it instead (edit it, untick Active): events wait for it.",
        confirm_label="Delete webhook",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/webhooks/", webhook_list, name="webhook-list"),
    path("portfolios/<int:portfolio_id>/webhooks/new/", webhook_create, name="webhook-create"),
    path("webhooks/<int:webhook_id>/", webhook_page, name="webhook-page"),
    path("webhooks/<int:webhook_id>/edit/", webhook_edit, name="webhook-edit"),
    path("webhooks/<int:webhook_id>/test/", webhook_test, name="webhook-test"),
    path("webhooks/<int:webhook_id>/enable/", webhook_enable, name="webhook-enable"),
    path("webhooks/<int:webhook_id>/rotate-secret/", webhook_rotate_secret, name="webhook-rotate-secret"),
    path("webhooks/<int:webhook_id>/delete/", webhook_delete, name="webhook-delete"),
]
