"""Form pieces every app's pages share: bounded numbers, domain errors as form errors, CSV downloads."""

import csv
import re
import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.http import HttpResponse

from pmflow.errors import DomainError

# Digits, one point, an optional exponent of at most three digits: checked on the text before any
# Decimal arithmetic, so "1e9999999" costs nothing.
NUMBER = re.compile(r"[+-]?(\d{1,20}(\.\d{0,12})?|\.\d{1,12})([eE][+-]?\d{1,3})?")


class BoundedDecimalField(forms.DecimalField):
    """A decimal that refuses absurd text (length, exponent) before converting it."""

    def __init__(self, *, limit: Decimal = Decimal("1e14"), **kwargs):
        self.limit = limit
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().replace("\u202f", "").replace(",", "") if isinstance(value, str) else str(value)
        if len(text) > 40 or not NUMBER.fullmatch(text):
            raise forms.ValidationError("Enter a number, e.g. 1500 or 12.5.", code="invalid")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError("Enter a number.", code="invalid") from None
        if abs(number) >= self.limit:
            raise forms.ValidationError(f"Keep it below {self.limit:,.0f}.", code="max_value")
        return number


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on its field when the form has it, else above the form."""
    fields = getattr(exc, "fields", None) or {}
    if not fields:
        form.add_error(None, exc.message)
    for field, problems in fields.items():
        name = field.split(".")[-1] if field.startswith("params.") else field
        form.add_error(name if name in form.fields else None, problems)


def _offset(zone: str) -> str:
    delta = datetime.now(zoneinfo.ZoneInfo(zone)).utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def timezone_choices() -> list:
    """IANA zones grouped by region (Europe, America, …), each with today's UTC offset."""
    groups: dict[str, list] = defaultdict(list)
    for zone in sorted(zoneinfo.available_timezones()):
        if zone.startswith(("Etc/", "SystemV/")) or "/" not in zone:
            if zone != "UTC":
                continue
            groups["UTC"].append((zone, "UTC"))
            continue
        region, place = zone.split("/", 1)
        groups[region].append((zone, f"{place.replace('_', ' ').replace('/', ' / ')} ({_offset(zone)})"))
    return [("UTC", groups.pop("UTC"))] + sorted(groups.items())


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", timezone_choices)
        kwargs.setdefault("initial", "UTC")
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault(
            "help_text", "Days, weeks and months of the KPI rollups start at midnight in this zone; times show in it."
        )
        super().__init__(**kwargs)
        self.widget.attrs.update({"class": "zone-select", "data-searchable": "true"})


def csv_download(filename: str, header: list[str], rows) -> HttpResponse:
    """A CSV a spreadsheet opens as is (UTF-8 with BOM), named for what it holds."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response


def _cell(value):
    # A text cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 1597.52, not 1597.520000
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def save_with(request, form: forms.Form, write):
    """On a valid POST, return `write(form.cleaned_data)` (a service call); None when nothing was saved.

    A domain error the service raises (a taken name, a line of another portfolio) goes on the form.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return None
