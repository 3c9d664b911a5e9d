"""Small pieces the roadmap pages share (board, items, releases, timeline): a portfolio's today, a row id
as typed in a query or a form, the link to a list narrowed to one product, and a planning date field."""

from datetime import date

from django import forms
from django.urls import reverse
from django.utils import timezone

from roadmap.services.items import DATE_YEARS


def today_in(portfolio) -> date:
    return timezone.localdate(timezone=portfolio.zone)


def row_id(text) -> int | None:
    """A row id as typed ("12"), or None for anything else: "²", "1e5", "-1", a NUL, too many digits."""
    text = str(text).strip() if text is not None else ""
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return None


def product_list_url(name: str, portfolio_id: int, product_id: int | None = None) -> str:
    """The portfolio's list page `name`, narrowed to one product when given."""
    url = reverse(name, args=[portfolio_id])
    return f"{url}?product={product_id}" if product_id else url


class PlanDateField(forms.DateField):
    """An optional date typed in a date box (YYYY-MM-DD). The box hints the years the services accept
    (roadmap.services.items.DATE_YEARS); the services refuse a date outside them, on this field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
        first, last = DATE_YEARS
        self.widget.attrs.update({"min": f"{first}-01-01", "max": f"{last}-12-31"})
