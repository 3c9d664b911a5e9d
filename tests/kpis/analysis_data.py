"""Shared setup of the portfolio analysis tests: revenue written as measurements (the rollup worker makes the
quarter rows, as in production), feedback by days ago."""

import datetime

from kpis.analysis import complete_quarters
from kpis.models import KPI
from kpis.services import measurements_ingest
from tests.factories import FeedbackFactory, KPIFactory

TODAY = datetime.date(2026, 6, 15)  # Q2 2026 is running: 2026-Q1 is the last complete quarter
QUARTERS = complete_quarters(TODAY, 13)  # oldest first; QUARTERS[-1] = 2026-01-01


def revenue(product, values, capture, *, today=TODAY):
    """Give `product` a revenue KPI with one measurement in each of the last len(values) complete quarters
    (oldest first; None leaves a quarter without data)."""
    kpi = KPI.objects.filter(product=product, key="revenue").first() or KPIFactory(
        product=product, key="revenue", name="Revenue", aggregation="sum"
    )
    starts = complete_quarters(today, len(values))
    items = [
        {"observed_at": f"{start + datetime.timedelta(days=40)}T12:00:00+00:00", "value": value}
        for start, value in zip(starts, values, strict=True)
        if value is not None
    ]
    if items:
        with capture(execute=True):
            measurements_ingest(kpi_id=kpi.id, items=items)
    return kpi


def feedback(product, *, recent: int, previous: int, today=TODAY, prefix="Ask"):
    """`recent` pieces in the last 90 days (today and the 89 before), `previous` in the 90 days before."""
    for n in range(recent):
        FeedbackFactory(product=product, received_on=today - datetime.timedelta(days=n % 90), text=f"{prefix} {n}")
    for n in range(previous):
        FeedbackFactory(
            product=product, received_on=today - datetime.timedelta(days=90 + n % 90), text=f"{prefix} before {n}"
        )
