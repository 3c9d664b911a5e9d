"""Form pieces every app's pages share: bounded numbers, domain errors as form errors, CSV downloads."""

import csv
import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.core.validators import DecimalValidator
from django.http import HttpResponse

from pmflow.errors import DomainError
from pmflow.fields import bounded_decimal


class BoundedDecimalField(forms.DecimalField):
    """A decimal that fits a (max_digits, decimal_places) column, checked on the text before converting
    it (`pmflow.fields.bounded_decimal`, the API's check): "1e9999999" costs nothing, and a value that
    only overflows once rounded is refused. Spaces and thousands separators as people type them are fine.
    """

    def __init__(self, *, max_digits: int = 20, decimal_places: int = 6, round_places: bool = True, **kwargs):
        self.round_places = round_places
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, DecimalValidator)]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().replace("\u202f", "").replace(",", "") if isinstance(value, str) else value
        try:
            return bounded_decimal(
                text, max_digits=self.max_digits, decimal_places=self.decimal_places, round_places=self.round_places
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


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
        writer.writerow([csv_cell(value) for value in row])
    return response


def csv_cell(value):
    """One CSV cell: blank for None, numbers as people write them, no formula a spreadsheet would run."""
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
