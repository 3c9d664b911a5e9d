"""The server-side SVG charts: round axis ticks, readable numbers and periods, labels that never
overlap, a title and a focus stop on every point, the period in progress drawn hollow and not judged."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kpis.charts import (
    SIZES,
    format_value,
    line_chart,
    nice_ticks,
    period_label,
    period_name,
    tick_labels,
)
from kpis.health import unjudged
from kpis.models import Health
from kpis.periods import period_start
from kpis.services import measurements_ingest
from products.models import Role
from tests.factories import KPIFactory, member


def _is_round(step: Decimal) -> bool:
    """1, 2 or 5 × 10ⁿ."""
    digits = step.normalize().as_tuple().digits
    return digits in ((1,), (2,), (5,))


# --- ticks and numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (0, 7, [0, 2, 4, 6, 8]),
        (0, 1234, [0, 500, 1000, 1500]),
        ("0.001", "0.009", ["0", "0.002", "0.004", "0.006", "0.008", "0.010"]),
        (-37, 12, [-40, -20, 0, 20]),
        (-900, -100, [-1000, -800, -600, -400, -200, 0]),
        (5, 5, [0, 1, 2, 3, 4, 5]),  # one value: shown against zero
        (0, 0, [0, "0.2", "0.4", "0.6", "0.8", 1]),
    ],
)
def test_ticks_are_round_numbers_around_the_range(low, high, expected):
    assert nice_ticks(Decimal(str(low)), Decimal(str(high))) == [Decimal(str(e)) for e in expected]


@pytest.mark.parametrize(
    "low, high",
    [(0, 7), (0, 1234), (0.001, 0.009), (-37, 12), (-5e6, -3e6), (9.2, 12.3), (0, 57_500), (1, 999_999_999)],
)
def test_ticks_step_evenly_on_1_2_5_and_cover_the_range(low, high):
    ticks = nice_ticks(low, high)
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and _is_round(steps.pop())
    assert ticks[0] <= Decimal(str(low)) and ticks[-1] >= Decimal(str(high))
    assert 3 <= len(ticks) <= 8
    assert all(t % (ticks[1] - ticks[0]) == 0 for t in ticks)  # "nice" bounds: multiples of the step


def test_integer_ticks_never_step_by_less_than_one():
    assert nice_ticks(0, 3, integers=True) == [0, 1, 2, 3]
    assert nice_ticks(0, 1, integers=True) == [0, 1]
    assert tick_labels(nice_ticks(0, 3, integers=True)) == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    "ticks, labels",
    [
        ([0, 500, 1000, 1500], ["0", "500", "1,000", "1,500"]),
        ([0, 20_000, 40_000, 60_000], ["0", "20k", "40k", "60k"]),
        ([9_000, 9_500, 10_000], ["9k", "9.5k", "10k"]),
        ([0, 500_000, 1_000_000, 1_500_000], ["0", "0.5M", "1M", "1.5M"]),
        ([0, 2 * 10**9], ["0", "2B"]),
        (["0", "0.002", "0.004"], ["0", "0.002", "0.004"]),
        ([-40, -20, 0, 20], ["-40", "-20", "0", "20"]),
    ],
)
def test_tick_labels_have_separators_and_go_compact_when_long(ticks, labels):
    assert tick_labels([Decimal(str(t)) for t in ticks]) == labels


@pytest.mark.parametrize(
    "value, text",
    [
        ("42.000000", "42"),
        ("1234567.500000", "1,234,567.5"),
        ("0.004000", "0.004"),
        ("-1200.000000", "-1,200"),
        ("0E-6", "0"),
        ("9.266667", "9.266667"),
    ],
)
def test_values_are_exact_without_trailing_zeros(value, text):
    assert format_value(Decimal(value)) == text


# --- periods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "monday, label",
    [
        (date(2024, 12, 30), "W01 2025"),  # the week holding 2 January belongs to 2025
        (date(2020, 12, 28), "W53 2020"),
        (date(2021, 1, 4), "W01 2021"),
        (date(2026, 1, 5), "W02 2026"),
    ],
)
def test_iso_week_labels_name_the_iso_year(monday, label):
    assert period_label("week")(monday) == label
    assert period_name("week")(monday).startswith(label)


def test_period_names_say_which_days_they_cover():
    assert period_name("week")(date(2024, 12, 30)) == "W01 2025 (30 Dec – 5 Jan)"
    assert period_name("day")(date(2026, 3, 1)) == "Sun 1 Mar 2026"
    assert period_name("month")(date(2026, 3, 1)) == "March 2026"
    assert period_name("quarter")(date(2026, 10, 1)) == "Q4 2026 (Oct–Dec)"


# --- drawing -----------------------------------------------------------------------------------------


def _rows(count: int, granularity: str = "day", start=date(2026, 1, 1), *, value=1234.5, target=1000, last=None):
    rows, day = [], start
    for i in range(count):
        health = "on_track" if i % 2 else "off_track"
        rows.append({"period_start": day, "value": Decimal(str(value + i)), "target": target, "health": health})
        day = day + timedelta(days=7 if granularity == "week" else 1)
    if last:
        rows[-1]["health"] = last
    return rows


def _svgs(html: str) -> list[ET.Element]:
    root = ET.fromstring(f"<root>{html}</root>")
    return root.findall("./figure/svg")


def _text_width(text: str, font: float) -> float:
    # Wider than a typical sans-serif digit (≈0.55 em), so "no overlap" here means none on screen.
    return len(text) * font * 0.6


def test_day_labels_are_thinned_so_none_overlap_at_any_size():
    rows = _rows(90)
    svgs = _svgs(line_chart(rows, title="Revenue by day", unit="EUR", period_label=period_label("day")))
    assert [svg.get("class") for svg in svgs] == [size.css_class for size in SIZES]
    for svg, size in zip(svgs, SIZES, strict=True):
        labels = [t for t in svg.iter("text") if "x-label" in (t.get("class") or "")]
        spots = sorted((float(t.get("x")), t.text) for t in labels)
        assert len(spots) >= 3, size
        for (x1, a), (x2, b) in zip(spots, spots[1:], strict=False):
            assert x2 - x1 >= (_text_width(a, size.font) + _text_width(b, size.font)) / 2 + 4, (size, a, b)
        assert spots[-1][1] == period_label("day")(rows[-1]["period_start"])  # the latest is always named
        assert all(x - _text_width(t, size.font) / 2 >= 0 for x, t in spots)  # none cut at the edges
        assert all(x + _text_width(t, size.font) / 2 <= size.width for x, t in spots)


def test_every_point_has_a_title_with_period_and_exact_value_and_is_focusable():
    rows = _rows(3, "week", start=date(2024, 12, 23))
    html = line_chart(
        rows, title="Revenue by week", unit="EUR", period_label=period_label("week"), period_name=period_name("week")
    )
    for svg in _svgs(html):
        points = svg.findall(".//g[@class='point']")
        assert len(points) == 3 and all(p.get("tabindex") == "0" for p in points)
        titles = [p.find("title").text for p in points]
        assert titles[1] == "W01 2025 (30 Dec – 5 Jan): 1,235.5 EUR · target 1,000 · on track"
        assert titles[0].startswith("W52 2024 (23 Dec – 29 Dec): 1,234.5 EUR")
        assert len(svg.findall(".//circle")) == 3  # one marker per point, nothing else is a circle


def test_the_period_in_progress_is_hollow_so_far_and_in_the_legend():
    rows = _rows(4, last=Health.IN_PROGRESS)
    html = line_chart(rows, title="Revenue by day", unit="EUR", period_label=period_label("day"))
    for svg in _svgs(html):
        circles = svg.findall(".//circle")
        assert circles[-1].get("fill") == "#fff" and circles[-1].get("stroke")
        assert all(c.get("fill") != "#fff" for c in circles[:-1])
        assert svg.findall(".//g[@class='point']")[-1].find("title").text.endswith("1,237.5 EUR so far · target 1,000")
        assert svg.findall(".//line[@class='line unjudged']")  # the step into it is dotted
    assert "So far: the period in progress" in html


def test_health_colours_and_partial_periods_are_explained_in_the_legend():
    rows = _rows(4)
    rows[0]["health"] = Health.PARTIAL
    html = line_chart(rows, title="t", period_label=period_label("day"))
    legend = ET.fromstring(f"<root>{html}</root>").find("./figure/figcaption/ul")
    words = [li.find("svg").tail for li in legend]
    assert words[:4] == ["On track", "At risk", "Off track", "Target"]
    assert any(w.startswith("Partial first period") for w in words)
    assert not any(w.startswith("So far") for w in words)  # nothing in progress here


def test_counts_have_no_decimals_and_the_unit_titles_the_axis():
    rows = [{"period_start": date(2026, 3, d), "value": Decimal(f"{d}.000000"), "target": None} for d in (1, 2, 3)]
    html = line_chart(rows, title="Interviews by day", unit="interviews", period_label=period_label("day"))
    for svg in _svgs(html):
        ticks = [t.text for t in svg.iter("text") if t.get("class") == "axis"]
        assert all(re.fullmatch(r"-?[\d,]+", t) for t in ticks), ticks
        assert [t.text for t in svg.iter("text") if t.get("class") == "axis-title"] == ["interviews"]
        assert svg.find(".//g[@class='point']/title").text.endswith(": 1 interviews")
    assert "Value (no target set, not judged)" in html


def test_a_large_axis_goes_compact():
    rows = [{"period_start": date(2026, m, 1), "value": v, "target": None} for m, v in ((1, 1_250_000), (2, 2_400_000))]
    svg = _svgs(line_chart(rows, title="t", unit="EUR"))[1]
    assert [t.text for t in svg.iter("text") if t.get("class") == "axis"][-1].endswith("M")


def test_charts_need_no_inline_script_or_style():
    html = line_chart(_rows(30, last=Health.IN_PROGRESS), title="t", unit="EUR")
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no event handler attributes either


def test_no_rows_say_what_to_do():
    assert "No measurements yet" in line_chart([], title="t")


# --- which periods are judged --------------------------------------------------------------------------


def test_running_and_partly_covered_periods_are_not_judged():
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    assert unjudged(april, current=april, first_day=march) == Health.IN_PROGRESS
    assert unjudged(date(2026, 5, 1), current=april, first_day=march) == Health.IN_PROGRESS  # a later one too
    assert unjudged(march, current=april, first_day=date(2026, 3, 15)) == Health.PARTIAL
    assert unjudged(march, current=april, first_day=march) is None  # covered from its first day
    assert unjudged(march, current=None, first_day=None) is None


# --- pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def running_kpi(django_capture_on_commit_callbacks):
    """A KPI measured since the middle of a month three months back, and today."""
    kpi = KPIFactory(name="Revenue", unit="EUR", target=100, target_granularity="month")
    today = timezone.now().astimezone(kpi.product.portfolio.zone).date()
    first = period_start(period_start(today, "month") - timedelta(days=80), "month") + timedelta(days=14)
    days = [first + timedelta(days=n) for n in range(0, (today - first).days + 1, 5)] + [today]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": d.isoformat(), "value": 10} for d in set(days)])
    return kpi


@pytest.mark.django_db
def test_kpi_page_marks_the_running_and_the_partial_month(client, running_kpi):
    client.force_login(member(running_kpi.product.portfolio, Role.VIEWER))
    page = client.get(f"/kpis/{running_kpi.id}/?granularity=month").content.decode()
    assert page.count("health-in_progress") == 1 and page.count("health-partial") == 1
    assert "So far: the period in progress" in page and "Partial first period" in page
    assert 'class="axis-title"' in page and ">EUR</text>" in page


@pytest.mark.django_db
def test_product_page_has_a_table_under_every_chart(client, running_kpi):
    KPIFactory(product=running_kpi.product, name="Empty one")
    client.force_login(member(running_kpi.product.portfolio, Role.VIEWER))
    page = client.get(f"/products/{running_kpi.product_id}/?granularity=month").content.decode()
    assert page.count('<details class="chart-table">') == 1  # the KPI without data has no chart to explain
    table = page[page.index('<details class="chart-table">') : page.index("</details>")]
    assert "Revenue as a table" in table and "(so far)" in table
    assert table.count("<tr>") == 1 + 4  # header, and the four months measured
    assert "health-in_progress" in table and "health-partial" in table
