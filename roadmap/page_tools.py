"""Small pieces the roadmap pages share (board, items, releases, timeline): a portfolio's today, a row id
as typed in a query or a form, the link to a list narrowed to one product, and a planning date field."""

from datetime import date

from django import forms
from django.urls import reverse
from django.utils import timezone

# The years a planned date may fall in (the house's range, as for KPI measurements): a typo such as
# 0001-01-01 or 9999-12-31 is refused on the field instead of stretching every chart that shows it.
FIRST_YEAR, LAST_YEAR = 1900, 2200
DATE_RANGE_MESSAGE = f"A date in the years {FIRST_YEAR} to {LAST_YEAR}."


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
    """An optional date typed in a date box (YYYY-MM-DD), within FIRST_YEAR … LAST_YEAR."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"min": f"{FIRST_YEAR}-01-01", "max": f"{LAST_YEAR}-12-31"})

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(DATE_RANGE_MESSAGE, code="date_range")
