"""products.services.goals and kpis.services.key_results: vision, goals, key results and the KPI that measures
one; each write one event, bad input refused with nothing written."""

import datetime
from decimal import Decimal

import pytest

from kpis.models import KPI
from kpis.services import key_results as links
from pmflow.errors import InvalidInput, NotFound
from products.models import DomainEvent, Goal, KeyResult, Product
from products.services import goals as services
from tests.factories import GoalFactory, KeyResultFactory, KPIFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN, DEC = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


@pytest.fixture
def product():
    return ProductFactory(name="Nebula")


@pytest.fixture
def goal(product):
    return GoalFactory(product=product, title="Grow", period_start=JAN, period_end=DEC)


def events(verb: str):
    return list(DomainEvent.objects.filter(verb=verb).order_by("id"))


# --- goals ----------------------------------------------------------------------------------------------


def test_a_goal_is_created_with_one_event(product):
    actor = UserFactory()
    goal = services.goal_create(
        product=product, actor=actor, title="  Win mid-market ", period_start=JAN, period_end=DEC
    )
    assert goal.title == "Win mid-market" and goal.product == product
    [event] = events("goal.created")
    assert event.actor == actor and event.object_id == goal.id and event.portfolio_id == product.portfolio_id
    assert event.changes["title"] == [None, "Win mid-market"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "a\ud800b"}, "title"),
        ({"description": "x" * 10_001}, "description"),
        ({"period_start": None}, "period_start"),
        ({"period_end": datetime.date(2025, 12, 31)}, "period_end"),
        ({"period_start": datetime.date(1800, 1, 1)}, "period_start"),
        ({"period_end": "2026-12-31"}, "period_end"),
    ],
)
def test_a_bad_goal_is_refused_on_its_field_and_nothing_is_written(product, fields, field):
    body = {"title": "Grow", "period_start": JAN, "period_end": DEC, **fields}
    with pytest.raises(InvalidInput) as refused:
        services.goal_create(product=product, **body)
    assert field in refused.value.fields
    assert not Goal.objects.exists() and not DomainEvent.objects.exists()


def test_a_goal_update_records_only_what_changed(goal):
    services.goal_update(goal_id=goal.id, title="Grow more", period_end=DEC)
    [event] = events("goal.updated")
    assert event.changes == {"title": ["Grow", "Grow more"]}


def test_a_goal_update_that_changes_nothing_records_nothing(goal):
    services.goal_update(goal_id=goal.id, title="Grow")
    assert events("goal.updated") == []


def test_a_goal_end_is_judged_against_the_start_it_keeps(goal):
    with pytest.raises(InvalidInput) as refused:
        services.goal_update(goal_id=goal.id, period_end=datetime.date(2025, 6, 1))
    assert "period_end" in refused.value.fields


def test_deleting_a_goal_takes_its_key_results_and_frees_their_kpi(goal):
    key_result = KeyResultFactory(goal=goal)
    kpi = KPIFactory(product=goal.product, key_result=key_result)
    assert services.goal_delete(goal_id=goal.id) == "Grow"
    assert not KeyResult.objects.exists()
    kpi.refresh_from_db()
    assert kpi.key_result is None
    [event] = events("goal.deleted")
    assert event.data["key_results"] == [key_result.title]


def test_a_missing_goal_is_not_found():
    with pytest.raises(NotFound):
        services.goal_update(goal_id=999_999, title="x")


# --- key results ----------------------------------------------------------------------------------------


def test_a_key_result_is_created_with_one_event(goal):
    key_result = services.key_result_create(goal=goal, title="Churn below 4 %", start_value=8, target_value="4")
    assert key_result.start_value == 8 and key_result.target_value == Decimal(4) and key_result.manual_value is None
    [event] = events("key_result.created")
    assert event.changes["target_value"] == [None, "4"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": " "}, "title"),
        ({"target_value": None}, "target_value"),
        ({"target_value": float("nan")}, "target_value"),
        ({"target_value": "Infinity"}, "target_value"),
        ({"start_value": "1e9999999"}, "start_value"),
        ({"start_value": 10**15}, "start_value"),
        ({"manual_value": "six"}, "manual_value"),
        ({"manual_value": True}, "manual_value"),
    ],
)
def test_a_bad_key_result_is_refused_on_its_field_and_nothing_is_written(goal, fields, field):
    body = {"title": "Churn", "start_value": 8, "target_value": 4, **fields}
    with pytest.raises(InvalidInput) as refused:
        services.key_result_create(goal=goal, **body)
    assert field in refused.value.fields
    assert not KeyResult.objects.exists() and not DomainEvent.objects.exists()


def test_a_key_result_update_records_its_changes(goal):
    key_result = KeyResultFactory(goal=goal, manual_value=None)
    services.key_result_update(key_result_id=key_result.id, manual_value=Decimal("6.5"))
    [event] = events("key_result.updated")
    assert event.changes == {"manual_value": [None, "6.5"]}


def test_deleting_a_key_result_frees_its_kpi(goal):
    key_result = KeyResultFactory(goal=goal, title="WAU")
    kpi = KPIFactory(product=goal.product, key_result=key_result)
    assert services.key_result_delete(key_result_id=key_result.id) == "WAU"
    assert KPI.objects.get(pk=kpi.pk).key_result is None
    assert len(events("key_result.deleted")) == 1


# --- the KPI that measures a key result -----------------------------------------------------------------


def test_a_key_result_created_with_a_kpi_is_measured_by_it_with_one_event(goal):
    kpi = KPIFactory(product=goal.product)
    key_result = links.key_result_save(goal=goal, kpi=kpi, title="Revenue", target_value=100)
    assert KeyResult.objects.get(pk=key_result.pk).kpi == kpi
    [event] = DomainEvent.objects.all()
    assert event.verb == "key_result.created" and event.changes["kpi"] == [None, kpi.id]


def test_setting_a_kpi_moves_the_link_from_the_one_before(goal):
    before, after = KPIFactory(product=goal.product), KPIFactory(product=goal.product)
    key_result = KeyResultFactory(goal=goal)
    links.key_result_measure(key_result_id=key_result.id, kpi=before)
    links.key_result_measure(key_result_id=key_result.id, kpi=after)
    assert KPI.objects.get(pk=before.pk).key_result is None
    assert KPI.objects.get(pk=after.pk).key_result_id == key_result.id
    assert events("key_result.updated")[-1].changes == {"kpi": [before.id, after.id]}


def test_unsetting_the_kpi_measures_the_key_result_by_hand_again(goal):
    key_result = KeyResultFactory(goal=goal)
    kpi = KPIFactory(product=goal.product, key_result=key_result)
    links.key_result_measure(key_result_id=key_result.id, kpi=None)
    assert KPI.objects.get(pk=kpi.pk).key_result is None
    assert events("key_result.updated")[0].changes == {"kpi": [kpi.id, None]}


def test_setting_the_same_kpi_again_records_nothing(goal):
    key_result = KeyResultFactory(goal=goal)
    kpi = KPIFactory(product=goal.product, key_result=key_result)
    links.key_result_measure(key_result_id=key_result.id, kpi=kpi)
    assert not DomainEvent.objects.exists()


def test_a_kpi_measuring_another_key_result_is_refused_naming_it(goal):
    other = KeyResultFactory(goal=goal, title="Weekly actives")
    kpi = KPIFactory(product=goal.product, name="WAU", key_result=other)
    with pytest.raises(InvalidInput) as refused:
        links.key_result_save(goal=goal, kpi=kpi, title="Another", target_value=10)
    assert "Weekly actives" in refused.value.fields["kpi"] and "WAU" in refused.value.fields["kpi"]
    assert KeyResult.objects.count() == 1 and not DomainEvent.objects.exists()
    assert KPI.objects.get(pk=kpi.pk).key_result == other


def test_a_kpi_of_another_portfolio_is_refused(goal):
    foreign = KPIFactory()
    key_result = KeyResultFactory(goal=goal)
    with pytest.raises(InvalidInput) as refused:
        links.key_result_measure(key_result_id=key_result.id, kpi=foreign)
    assert refused.value.fields["kpi"] == "Choose a KPI of this portfolio."
    assert KPI.objects.get(pk=foreign.pk).key_result is None


def test_a_kpi_of_another_product_of_the_portfolio_may_measure_it(goal):
    kpi = KPIFactory(product=ProductFactory(portfolio=goal.product.portfolio))
    key_result = KeyResultFactory(goal=goal)
    links.key_result_measure(key_result_id=key_result.id, kpi=kpi)
    assert KPI.objects.get(pk=kpi.pk).key_result_id == key_result.id


def test_a_refused_kpi_leaves_the_other_changes_unwritten(goal):
    key_result = KeyResultFactory(goal=goal, title="Before")
    taken = KPIFactory(product=goal.product, key_result=KeyResultFactory(goal=goal))
    with pytest.raises(InvalidInput):
        links.key_result_save(key_result_id=key_result.id, kpi=taken, title="After")
    assert KeyResult.objects.get(pk=key_result.pk).title == "Before"


def test_fields_and_kpi_change_together_in_one_event(goal):
    key_result = KeyResultFactory(goal=goal, title="Before")
    kpi = KPIFactory(product=goal.product)
    links.key_result_save(key_result_id=key_result.id, kpi=kpi, title="After")
    [event] = events("key_result.updated")
    assert event.changes == {"title": ["Before", "After"], "kpi": [None, kpi.id]}


# --- the vision -----------------------------------------------------------------------------------------


def test_the_vision_is_written_with_one_event(product):
    services.product_vision_set(product_id=product.id, vision="  Operations teams see drift first.  ")
    assert Product.objects.get(pk=product.pk).vision == "Operations teams see drift first."
    [event] = events("product.updated")
    assert event.changes == {"vision": ["", "Operations teams see drift first."]}


@pytest.mark.parametrize("vision", ["x" * 10_001, "a\x00b", "a\udfffb"])
def test_a_bad_vision_is_refused(product, vision):
    with pytest.raises(InvalidInput) as refused:
        services.product_vision_set(product_id=product.id, vision=vision)
    assert "vision" in refused.value.fields and not DomainEvent.objects.exists()
