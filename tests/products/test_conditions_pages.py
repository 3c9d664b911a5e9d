"""The rule pages for every condition type: the composites' parts, the KPI target, the growth
condition, the mode in plain words, the re-render for a newly chosen type (no JavaScript), the history."""

import json
import re

import pytest

from products import lifecycle
from products.models import LifecycleRule, Role
from tests.factories import LifecycleRuleFactory, PortfolioFactory, member

pytestmark = pytest.mark.django_db

BASE = {"name": "Both facts", "from_stage": "development", "to_stage": "launch", "mode": "auto", "is_active": "on"}
GROWTH_PART = {
    "part2-condition_type": "kpi_growth",
    "part2-key": "revenue",
    "part2-comparator": "lt",
    "part2-value": "5",
    "part2-periods": "3",
    "part2-granularity": "month",
}


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def admin(client, portfolio):
    user = member(portfolio, Role.ADMIN)
    client.force_login(user)
    return user


def _new(portfolio):
    return f"/portfolios/{portfolio.id}/rules/new/"


def test_every_registered_type_is_offered_singles_first(client, portfolio, admin):
    page = client.get(_new(portfolio)).content.decode()
    for key in lifecycle.condition_types:
        assert f'value="{key}"' in page
    assert page.index('value="kpi_growth"') < page.index('value="all_of"')


def test_the_form_says_what_each_mode_does(client, portfolio, admin):
    page = client.get(_new(portfolio)).content.decode()
    assert "The product moves as soon as the condition holds" in page
    assert "Nothing moves by itself" in page


def test_a_composite_offers_four_parts_each_with_a_type(client, portfolio, admin):
    page = client.get(_new(portfolio) + "?condition_type=all_of").content.decode()
    for number in range(1, 5):
        assert f'name="part{number}-condition_type"' in page
    assert 'value="all_of"' in page and "Show its fields" in page


def test_choosing_a_parts_type_shows_its_fields_and_saves_nothing(client, portfolio, admin):
    body = {**BASE, "condition_type": "all_of", "part1-condition_type": "kpi_growth", "refresh": "part-1"}
    response = client.post(_new(portfolio), body)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="part1-key"' in page and 'name="part1-value"' in page
    assert 'name="part2-key"' not in page
    assert "errorlist" not in page  # nothing judged yet
    assert not LifecycleRule.objects.exists()


def test_changing_the_condition_type_shows_its_fields_keeping_what_was_typed(client, portfolio, admin):
    body = {**BASE, "condition_type": "kpi_growth", "refresh": "condition", "key": "revenue"}
    page = client.post(_new(portfolio), body).content.decode()
    assert 'name="key" value="revenue"' in page and "Change from the period before" in page
    assert 'value="Both facts"' in page
    assert not LifecycleRule.objects.exists()


def test_a_composite_rule_is_saved_from_its_parts_in_order(client, portfolio, admin):
    body = {**BASE, "condition_type": "all_of", "part1-condition_type": "launch_plan_launched", **GROWTH_PART}
    assert client.post(_new(portfolio), body).status_code == 302
    rule = LifecycleRule.objects.get(portfolio=portfolio)
    assert rule.params == {
        "conditions": [
            {"condition_type": "launch_plan_launched", "params": {}},
            {
                "condition_type": "kpi_growth",
                "params": {"key": "revenue", "granularity": "month", "comparator": "lt", "value": 5, "periods": 3},
            },
        ]
    }
    page = client.get(f"/portfolios/{portfolio.id}/rules/").content.decode()
    assert (
        "Development → Launch when a launch plan of the product launches and monthly revenue growth stays below 5 % "
        "for 3 months in a row"
    ) in page


def test_empty_parts_between_chosen_ones_are_skipped(client, portfolio, admin):
    body = {
        **BASE,
        "condition_type": "any_of",
        "part1-condition_type": "",
        "part3-condition_type": "release_shipped",
        **GROWTH_PART,
    }
    assert client.post(_new(portfolio), body).status_code == 302
    types = [part["condition_type"] for part in LifecycleRule.objects.get().params["conditions"]]
    assert types == ["kpi_growth", "release_shipped"]


def test_a_composite_without_any_part_is_refused_on_the_first_part(client, portfolio, admin):
    response = client.post(_new(portfolio), {**BASE, "condition_type": "all_of"})
    assert response.status_code == 400
    assert "Choose at least one condition." in response.content.decode()
    assert not LifecycleRule.objects.exists()


def test_a_parts_bad_value_shows_on_that_parts_field(client, portfolio, admin):
    body = {**BASE, "condition_type": "all_of", **GROWTH_PART, "part2-value": "1e99999"}
    response = client.post(_new(portfolio), body)
    assert response.status_code == 400
    assert response.context["form"].errors["part2-value"]
    assert not LifecycleRule.objects.exists()


def test_a_part_whose_fields_were_not_shown_yet_asks_for_them(client, portfolio, admin):
    # Without JavaScript a person may choose the type and press Save at once: the fields appear, required.
    body = {**BASE, "condition_type": "all_of", "part1-condition_type": "kpi_threshold"}
    response = client.post(_new(portfolio), body)
    assert response.status_code == 400
    assert "part1-key" in response.context["form"].errors
    assert 'name="part1-key"' in response.content.decode()


def test_editing_a_composite_shows_its_parts(client, portfolio, admin):
    params = lifecycle.clean_composite(
        {
            "conditions": [
                {"condition_type": "release_shipped", "params": {}},
                {
                    "condition_type": "kpi_growth",
                    "params": {"key": "revenue", "comparator": "lt", "value": 5, "periods": 3},
                },
            ]
        }
    )
    rule = LifecycleRuleFactory(portfolio=portfolio, condition_type="any_of", params=params)
    page = client.get(f"/rules/{rule.id}/edit/").content.decode()
    assert '<option value="release_shipped" selected>' in page
    assert 'name="part2-key" value="revenue"' in page and 'name="part2-periods" value="3"' in page


def test_a_nested_composite_written_through_the_api_is_kept_as_it_is(client, portfolio, admin):
    nested = {
        "condition_type": "any_of",
        "params": {"conditions": [{"condition_type": "release_shipped"}, {"condition_type": "launch_plan_launched"}]},
    }
    params = lifecycle.clean_composite({"conditions": [{"condition_type": "release_shipped"}, nested]})
    rule = LifecycleRuleFactory(portfolio=portfolio, condition_type="all_of", params=params, name="Nested")
    page = client.get(f"/rules/{rule.id}/edit/").content.decode()
    assert "As it is: (a release of the product ships or a launch plan of the product launches)" in page
    body = {
        **BASE,
        "name": "Nested",
        "condition_type": "all_of",
        "part1-condition_type": "release_shipped",
        "part2-condition_type": "any_of",
        "part2-nested": json.dumps(params["conditions"][1]["params"]),
    }
    assert client.post(f"/rules/{rule.id}/edit/", body).status_code == 302
    rule.refresh_from_db()
    assert rule.params == params


def test_a_threshold_against_the_kpis_target(client, portfolio, admin):
    body = {
        **BASE,
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "key": "weekly_active_users",
        "comparator": "gte",
        "use_target": "on",
        "periods": "4",
        "granularity": "week",
    }
    assert client.post(_new(portfolio), body).status_code == 302
    rule = LifecycleRule.objects.get()
    assert rule.params["value"] == "target"
    page = client.get(f"/rules/{rule.id}/edit/").content.decode()
    assert re.search(r'<input type="checkbox" name="use_target"[^>]* checked', page)
    assert (
        "weekly active users stay at or above their target for 4 weeks in a row"
        in client.get(f"/portfolios/{portfolio.id}/rules/").content.decode()
    )


def test_a_threshold_needs_a_number_or_the_target(client, portfolio, admin):
    body = {
        **BASE,
        "condition_type": "kpi_threshold",
        "key": "wau",
        "comparator": "gte",
        "periods": "4",
        "granularity": "week",
    }
    response = client.post(_new(portfolio), body)
    assert response.status_code == 400
    assert response.context["form"].errors["value"] == ["Give a threshold, or compare with the KPI's own target."]


def test_a_suggest_rule_is_listed_as_suggesting(client, portfolio, admin):
    body = {**BASE, "mode": "suggest", "condition_type": "release_shipped"}
    assert client.post(_new(portfolio), body).status_code == 302
    assert LifecycleRule.objects.get().mode == "suggest"
    page = client.get(f"/portfolios/{portfolio.id}/rules/").content.decode()
    assert "Suggests the move" in page


def test_the_edit_page_shows_the_rules_history(client, portfolio, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_new(portfolio), {**BASE, "condition_type": "release_shipped"})
        rule = LifecycleRule.objects.get()
        client.post(f"/rules/{rule.id}/edit/", {**BASE, "condition_type": "release_shipped", "mode": "suggest"})
    page = client.get(f"/rules/{rule.id}/edit/").content.decode()
    assert "History" in page and "Created" in page and "Updated" in page
    assert "Move automatically → Suggest a move" in page


def test_rules_list_with_composites_keeps_its_query_count(client, portfolio, admin, django_assert_max_num_queries):
    params = lifecycle.clean_composite({"conditions": [{"condition_type": "release_shipped"}]})

    def add(count, start):
        for n in range(start, start + count):
            LifecycleRuleFactory(portfolio=portfolio, name=f"Rule {n}", condition_type="any_of", params=params)

    add(5, 0)
    client.get(f"/portfolios/{portfolio.id}/rules/")
    with django_assert_max_num_queries(8) as once:
        client.get(f"/portfolios/{portfolio.id}/rules/")
    add(45, 5)
    with django_assert_max_num_queries(len(once.captured_queries)):
        assert client.get(f"/portfolios/{portfolio.id}/rules/").status_code == 200


def test_the_edit_pages_query_count_does_not_grow_with_history(client, portfolio, admin, django_assert_max_num_queries):
    from products import services

    rule = LifecycleRuleFactory(portfolio=portfolio, condition_type="release_shipped", params={})
    client.get(f"/rules/{rule.id}/edit/")
    with django_assert_max_num_queries(20) as once:
        client.get(f"/rules/{rule.id}/edit/")
    for n in range(10):
        services.lifecycle_rule_save(rule=rule, actor=admin, name=f"Renamed {n}")
    with django_assert_max_num_queries(len(once.captured_queries)):
        assert client.get(f"/rules/{rule.id}/edit/").status_code == 200


def test_fields_shown_for_the_first_time_start_from_their_defaults(client, portfolio, admin):
    body = {**BASE, "condition_type": "all_of", "part1-condition_type": "kpi_growth", "refresh": "part-1"}
    del body["is_active"]  # unticked before choosing: stays unticked
    page = client.post(_new(portfolio), body).content.decode()
    assert 'name="part1-periods" value="3"' in page
    assert '<option value="month" selected>' in page
    assert re.search(r'<input type="checkbox" name="is_active"(?![^>]* checked)[^>]*>', page)
