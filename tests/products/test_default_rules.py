"""The default rule set a new portfolio starts with (products.services.default_rules)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gtm.models import LaunchPlan
from products import services
from products.models import DomainEvent, LifecycleRule, Stage
from products.services.default_rules import DEFAULT_RULES, rules_default_create
from products.services.rules import describe, lifecycle_rule_clean
from tests.factories import LaunchPlanFactory, LifecycleRuleFactory, PortfolioFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPECTED = [
    ("development", "launch", "launch_plan_launched", "auto"),
    ("launch", "growth", "kpi_threshold", "auto"),
    ("growth", "maturity", "kpi_growth", "suggest"),
    ("maturity", "decline", "kpi_growth", "suggest"),
]


def _rules(portfolio):
    return list(portfolio.lifecycle_rules.order_by("id"))


def test_a_new_portfolio_starts_with_the_default_rules():
    portfolio = services.portfolio_create(name="P", creator=UserFactory())
    rules = _rules(portfolio)
    assert [(r.from_stage, r.to_stage, r.condition_type, r.mode) for r in rules] == EXPECTED
    assert all(rule.is_active for rule in rules)


def test_the_defaults_say_what_the_issue_asks_for_in_plain_words():
    portfolio = services.portfolio_create(name="P", creator=UserFactory())
    assert [describe(rule) for rule in _rules(portfolio)] == [
        "Development → Launch when a launch plan of the product launches",
        "Launch → Growth when weekly active users stay at or above their target for 4 weeks in a row",
        "Growth → Maturity when monthly revenue growth stays below 5 % for 3 months in a row",
        "Maturity → Decline when quarterly revenue falls for 3 quarters in a row",
    ]


def test_each_default_is_recorded_as_created_by_the_portfolios_creator():
    creator = UserFactory()
    portfolio = services.portfolio_create(name="P", creator=creator)
    created = DomainEvent.objects.filter(portfolio=portfolio, verb="lifecycle_rule.created")
    assert created.count() == 4
    assert set(created.values_list("actor", flat=True)) == {creator.id}


@pytest.mark.parametrize("spec", DEFAULT_RULES, ids=lambda spec: spec["name"])
def test_each_default_is_valid_as_written(spec):
    fields = {name: spec[name] for name in ("condition_type", "params", "from_stage", "to_stage")}
    assert lifecycle_rule_clean(**fields) == spec["params"]


def test_running_it_again_adds_nothing():
    portfolio = services.portfolio_create(name="P", creator=UserFactory())
    assert rules_default_create(portfolio=portfolio) == []
    assert len(_rules(portfolio)) == 4


def test_it_leaves_out_a_default_whose_name_is_taken():
    portfolio = PortfolioFactory()
    LifecycleRuleFactory(portfolio=portfolio, name=DEFAULT_RULES[0]["name"])
    made = rules_default_create(portfolio=portfolio)
    assert [rule.name for rule in made] == [spec["name"] for spec in DEFAULT_RULES[1:]]


def test_a_portfolio_made_through_the_api_has_them(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/portfolios/", {"name": "Consumer"}, format="json")
    assert response.status_code == 201
    api_client.force_authenticate(type(user).objects.get(pk=user.pk))  # roles are cached per user object
    rules = api_client.get(f"/api/v1/lifecycle-rules/?portfolio={response.json()['id']}").json()
    assert rules["count"] == 4


def test_a_portfolio_made_on_the_page_lists_them(client):
    client.force_login(UserFactory())
    response = client.post("/portfolios/new/", {"name": "Consumer", "timezone": "UTC"})
    assert response.status_code == 302
    portfolio_id = LifecycleRule.objects.values_list("portfolio_id", flat=True).first()
    page = client.get(f"/portfolios/{portfolio_id}/rules/").content.decode()
    assert page.count("Moves automatically") == 2 and page.count("Suggests the move") == 2


def test_the_launch_default_moves_a_product_whose_plan_launched(django_capture_on_commit_callbacks):
    portfolio = services.portfolio_create(name="P", creator=UserFactory())
    product = ProductFactory(
        portfolio=portfolio, stage=Stage.DEVELOPMENT, stage_changed_at=timezone.now() - timedelta(days=3)
    )
    LaunchPlanFactory(product=product, status=LaunchPlan.Status.LAUNCHED, launched_at=timezone.now())
    move = services.lifecycle_rules_evaluate(product_id=product.id)
    assert move is not None and move.reason == "Launch plan launched"
    product.refresh_from_db()
    assert product.stage == Stage.LAUNCH
