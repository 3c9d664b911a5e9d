"""What the signals plug into other apps from kpis' AppConfig.ready() (products and gtm never import kpis):

- page fragments: the open signals above the dashboard's board ("dashboard.panels", one line each), and the
  signals of a launch plan and its campaigns ("launch_plan.panels"; also on the shared launch view,
  kpis.launch_views), of a campaign ("campaign.panels") and the open ones of a product ("product.panels", one
  line each as on the dashboard; nothing when it has none). Each costs at most two queries whatever the number
  of signals;
- domain event handlers: a `signal.opened` event tells the portfolio's people (notify, once per signal and
  person) and has the product's lifecycle rules evaluated (a `signal_open` rule may hold now); a change to a
  campaign, a competitor move or a launch plan asks for the portfolio's signals to be refreshed (a worker task;
  lost when the broker is down, the hourly beat does it then).
"""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kpis import signal_conditions  # noqa: F401  (registers the signal_open rule condition)
from kpis.models import Signal
from pmflow.celery import enqueue
from products.events import register_handler
from products.pages import Fragment, register_fragment

DASHBOARD_LINES = 6
DASHBOARD_READ = 100  # counted up to 99; more reads “99+”
PANEL_RESOLVED_DAYS = 30


def _queryset():
    from kpis.api.signals import signals_queryset

    return signals_queryset()


def _items(signals, portfolio_id: int) -> list[dict]:
    from kpis.signal_views import signal_items

    return signal_items(signals, portfolio_id)


def _lines(rows, list_url: str, list_label: str) -> dict:
    """Signals as one line each: rows of (id, kind, product name, message), at most DASHBOARD_READ of them."""
    from kpis.signal_views import KIND_CSS

    labels = dict(Signal.Kind.choices)
    return {
        "items": [
            {
                "url": reverse("signal-page", args=[signal_id]),
                "kind_label": labels.get(kind, kind),
                "kind_css": KIND_CSS.get(kind, "other"),
                "product": product_name,
                "message": message,
            }
            for signal_id, kind, product_name, message in rows[:DASHBOARD_LINES]
        ],
        "count": f"{DASHBOARD_READ - 1}+" if len(rows) == DASHBOARD_READ else len(rows),
        "more": max(0, min(len(rows), DASHBOARD_READ - 1) - DASHBOARD_LINES),
        "list_url": list_url,
        "list_label": list_label,
    }


def dashboard_panel(portfolio, request) -> dict:
    """The portfolio's open signals, newest first, one line each: one query (at most DASHBOARD_READ rows)."""
    rows = list(
        _queryset()
        .filter(portfolio=portfolio, resolved_at__isnull=True)
        .order_by("-opened_at", "-id")
        .values_list("id", "kind", "product__name", "message")[:DASHBOARD_READ]
    )
    return _lines(rows, reverse("signal-list", args=[portfolio.id]), "All signals and how they are found")


def _recent(signals):
    since = timezone.now() - timedelta(days=PANEL_RESOLVED_DAYS)
    return signals.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since)).order_by(
        "resolved_at", "-opened_at", "-id"
    )


def _panel(signals, portfolio_id: int, *, key: str, explain: str) -> dict:
    items = _items(_recent(signals), portfolio_id)
    return {
        "key": key,
        "items": items,
        "open_count": sum(1 for item in items if item["is_open"]),
        "explain": explain,
        "list_url": reverse("signal-list", args=[portfolio_id]),
    }


def plan_panel(plan, request) -> dict:
    """Signals of the plan and of its campaigns: open, and resolved in the last 30 days."""
    portfolio_id = plan.product.portfolio_id
    signals = _queryset().filter(Q(launch_plan=plan) | Q(campaign__launch_plan=plan))
    explain = (
        "Nothing flagged. pmflow flags this launch when its usage stays off track for weeks after launch although "
        "its campaigns spent money, and a campaign of it whose traffic does not convert."
    )
    return _panel(signals, portfolio_id, key=f"plan-{plan.id}", explain=explain)


def campaign_panel(campaign, request) -> dict:
    portfolio_id = campaign.product.portfolio_id
    explain = (
        "Nothing flagged. pmflow flags a campaign whose conversion KPI stays off track for weeks while its traffic "
        "KPI (visits, clicks, leads) is there."
    )
    return _panel(_queryset().filter(campaign=campaign), portfolio_id, key="campaign", explain=explain)


def product_panel(product, request) -> dict:
    """The product's open signals, one line each as on the dashboard (nothing when it has none): one query."""
    rows = list(
        _queryset()
        .filter(product=product, resolved_at__isnull=True)
        .order_by("-opened_at", "-id")
        .values_list("id", "kind", "product__name", "message")[:DASHBOARD_READ]
    )
    url = reverse("signal-list", args=[product.portfolio_id]) + f"?product={product.id}"
    return _lines(rows, url, f"All signals of {product.name}")


register_fragment(
    "dashboard.panels",
    Fragment(key="kpis.signals", template="kpis/signals/_dashboard_panel.html", context=dashboard_panel, order=30),
)
register_fragment(
    "launch_plan.panels",
    Fragment(key="kpis.signals", template="kpis/signals/_panel.html", context=plan_panel, order=15),
)
register_fragment(
    "campaign.panels",
    Fragment(key="kpis.signals", template="kpis/signals/_panel.html", context=campaign_panel, order=15),
)
register_fragment(
    "product.panels",
    Fragment(key="kpis.signals", template="kpis/signals/_dashboard_panel.html", context=product_panel, order=15),
)


# --- domain events ------------------------------------------------------------------------------------------


def after_opened(event) -> None:
    """Tell the people (once per signal and person), and let rules on `signal_open` see it now rather than at
    the next periodic evaluation."""
    from kpis.services.signals import signal_notify
    from products.tasks import lifecycle_rules_evaluate_products

    signal_notify(event=event)
    product_id = (event.data or {}).get("product")
    if product_id:
        enqueue(lifecycle_rules_evaluate_products, [product_id])


def refresh_after_change(event) -> None:
    """A campaign's spend or dates, a competitor move, a launch changed: the portfolio's signals may too."""
    from kpis.tasks import signals_detect_portfolio

    enqueue(signals_detect_portfolio, event.portfolio_id)


register_handler("signal.opened", after_opened)
for _verb in ("campaign.", "competitor_move.", "launch_plan.launched", "launch_plan.updated", "launch_plan.cancelled"):
    register_handler(_verb, refresh_after_change)
