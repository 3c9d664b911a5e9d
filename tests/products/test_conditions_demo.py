"""The demo's lifecycle rules (products.demo_rules): the defaults beside the demo's own rules, and a
composite suggest rule whose evidence holds for a product like the demo's Ledger Classic."""

from datetime import date, timedelta

import pytest

from kpis.services import measurements_ingest
from products import lifecycle
from products.demo_rules import COMPOSITE, seed_rules
from products.models import LifecycleRule, Role, Stage
from products.services.default_rules import DEFAULT_RULES
from tests.factories import KPIFactory, LifecycleRuleFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 30)


def test_it_adds_the_defaults_and_the_composite_beside_the_demos_own_rules():
    portfolio = PortfolioFactory()
    LifecycleRuleFactory(portfolio=portfolio, name="Adoption proves the launch")
    counts = seed_rules(portfolio=portfolio, actor=member(portfolio, Role.ADMIN), today=TODAY)
    assert counts == {"rules": len(DEFAULT_RULES) + 1}
    names = set(portfolio.lifecycle_rules.values_list("name", flat=True))
    assert names == {"Adoption proves the launch", COMPOSITE["name"], *(spec["name"] for spec in DEFAULT_RULES)}
    assert portfolio.lifecycle_rules.get(name=COMPOSITE["name"]).mode == LifecycleRule.Mode.SUGGEST


def test_it_writes_nothing_the_second_time():
    portfolio = PortfolioFactory()
    admin = member(portfolio, Role.ADMIN)
    seed_rules(portfolio=portfolio, actor=admin, today=TODAY)
    assert seed_rules(portfolio=portfolio, actor=admin, today=TODAY) == {"rules": 0}


def test_the_composites_evidence_holds_for_a_fading_product(django_capture_on_commit_callbacks):
    # As the demo's Ledger Classic: users far below target, revenue falling every quarter.
    product = ProductFactory(stage=Stage.DECLINE)
    users = KPIFactory(
        product=product, key="weekly_active_users", aggregation="last", target=2800, target_granularity="week"
    )
    revenue = KPIFactory(product=product, key="revenue", aggregation="sum")
    start = TODAY - timedelta(days=365)
    days = [start + timedelta(days=n) for n in range(365)]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=users.id, items=[{"observed_at": d.isoformat(), "value": 1500} for d in days])
        measurements_ingest(
            kpi_id=revenue.id,
            items=[{"observed_at": d.isoformat(), "value": round(1800 * 0.9985**n, 2)} for n, d in enumerate(days)],
        )
    rule = LifecycleRuleFactory(portfolio=product.portfolio, **{**COMPOSITE, "name": "Fade"})
    evidence = lifecycle.condition_types["all_of"].evaluate(rule, product, TODAY)
    assert [part["condition_type"] for part in evidence["parts"]] == ["kpi_threshold", "kpi_growth"]
    assert evidence["parts"][0]["target"] == 2800.0
