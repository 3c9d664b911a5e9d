"""A new admin runs a portfolio from the pages alone: no admin site, no API.

Starting from an empty portfolio, in headless Chromium: create a product line, a product, a KPI with a
target, upload measurements as a CSV, see the chart, invite a product manager and write a rule.
"""

from datetime import date

import pytest

from kpis.models import KPI, Measurement
from products.models import DomainEvent, LifecycleRule, Membership, Product, ProductLine, Role
from tests.e2e.conftest import log_in
from tests.factories import PortfolioFactory, UserFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


def _months_csv(tmp_path) -> str:
    """Six complete months of weekly revenue, with a BOM and semicolons as a spreadsheet saves it."""
    today = date.today()
    rows = ["observed_at;value;external_id"]
    index = today.year * 12 + today.month - 1
    for back in range(6, 0, -1):
        year, month = divmod(index - back, 12)
        for day in (3, 10, 17, 24):
            rows.append(f"{date(year, month + 1, day).isoformat()};1250,5;erp-{year}-{month + 1}-{day}")
    path = tmp_path / "revenue.csv"
    path.write_bytes(("\ufeff" + "\n".join(rows) + "\n").encode())
    return str(path)


def test_new_admin_runs_an_empty_portfolio_from_the_pages(page, live_server, tmp_path):
    tab = page
    portfolio = PortfolioFactory(name="Fresh Start")
    admin = member(portfolio, Role.ADMIN)
    colleague = UserFactory(username="priya", email="priya@example.com")
    log_in(tab, live_server, admin)
    tab.wait_for_url(f"**/portfolios/{portfolio.id}/")
    assert "No products yet" in tab.inner_text("main")

    # A product line.
    tab.click("nav.subnav >> text=Product lines")
    tab.click("text=New product line")
    tab.fill("#id_name", "Analytics")
    tab.click("main form button[type=submit]")
    tab.wait_for_url("**/product-lines/")
    assert "Analytics" in tab.inner_text("table")

    # A product in that line.
    tab.click("nav.subnav >> text=Board")
    tab.click("text=Create the first product")
    tab.fill("#id_name", "Insight Hub")
    tab.select_option("#id_product_line", label="Analytics")
    tab.fill("#id_description", "Self-serve dashboards for operations teams.")
    tab.click("main form button[type=submit]")
    tab.wait_for_url("**/products/*/")
    product = Product.objects.get(name="Insight Hub")
    assert product.product_line == ProductLine.objects.get(name="Analytics")
    assert "Ideation" in tab.inner_text("h1")

    # A KPI with a monthly target.
    tab.click("text=Add the first KPI")
    tab.fill("#id_name", "Revenue")
    tab.fill("#id_key", "revenue")
    tab.fill("#id_unit", "EUR")
    tab.select_option("#id_aggregation", "sum")
    tab.fill("#id_target", "4500")
    tab.select_option("#id_target_granularity", "month")
    tab.click("main form button[type=submit]")
    tab.wait_for_url("**/measurements/")
    kpi = KPI.objects.get(product=product, key="revenue")
    assert kpi.target == 4500

    # Measurements from a CSV file (BOM, semicolons, decimal commas).
    tab.set_input_files("#id_file", _months_csv(tmp_path))
    tab.click("form:has(#id_file) button[type=submit]")
    tab.wait_for_selector(".messages .success")
    assert Measurement.objects.filter(kpi=kpi).count() == 24
    assert "24 added" in tab.inner_text(".messages")

    # The chart, with one point per month.
    tab.click("text=Chart")
    tab.wait_for_selector("svg.chart", state="attached")
    assert tab.locator("svg.chart circle").count() >= 6
    assert "5,002" in tab.inner_text("table")  # 4 × 1,250.5 in a month

    # A product manager invited by e-mail.
    tab.click("nav.subnav >> text=Members")
    tab.fill("#id_username", "priya@example.com")
    tab.select_option("#id_role", "product_manager")
    tab.click("form:has(#id_username) button[type=submit]")
    tab.wait_for_selector(".messages .success")
    assert Membership.objects.get(portfolio=portfolio, user=colleague).role == Role.PRODUCT_MANAGER
    assert "priya" in tab.inner_text("table")

    # A lifecycle rule, written with fields rather than JSON.
    tab.click("nav.subnav >> text=Lifecycle")
    tab.click("text=Write the first rule")
    tab.fill("#id_name", "Revenue proves growth")
    tab.select_option("#id_from_stage", "launch")
    tab.select_option("#id_to_stage", "growth")
    tab.fill("#id_key", "revenue")
    tab.select_option("#id_comparator", "gte")
    tab.fill("#id_value", "4000")
    tab.fill("#id_periods", "3")
    tab.select_option("#id_granularity", "month")
    tab.press("#id_periods", "Enter")  # Enter saves (not the form's "Show its fields" buttons)
    tab.wait_for_url("**/rules/")
    rule = LifecycleRule.objects.get(portfolio=portfolio)
    assert rule.params == {"key": "revenue", "granularity": "month", "comparator": "gte", "value": 4000, "periods": 3}
    assert "Launch → Growth when revenue stays at or above 4,000 for 3 months in a row" in tab.inner_text("main")

    # Everything above left its trace, and no page had a script error.
    verbs = set(DomainEvent.objects.filter(portfolio=portfolio).values_list("verb", flat=True))
    assert {"product_line.created", "product.created", "kpi.created", "kpi.measurements_added"} <= verbs
    assert {"membership.created", "lifecycle_rule.created"} <= verbs
    assert tab.js_errors == []
    assert tab.violations == []  # and nothing broke the Content-Security-Policy
