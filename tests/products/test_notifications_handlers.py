"""Domain events → notifications (products.notification_handlers): the right people, once each."""

import pytest

from kpis.models import KPI
from kpis.services import kpi_health_refresh, measurements_ingest
from products import events, notification_handlers
from products.models import DomainEvent, Notification, Role
from products.services import documents, status_book
from products.services.stages import product_transition
from products.services.suggestions import suggestion_create
from tests.factories import (
    CampaignFactory,
    DocumentFactory,
    KPIFactory,
    LifecycleRuleFactory,
    PortfolioFactory,
    ProductFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def team():
    """A portfolio with one member of each role (usernames after their roles) and a product in research."""
    portfolio = PortfolioFactory(name="Acme", timezone="Europe/Berlin")
    people = {}
    for role in Role.values:
        people[role] = member(portfolio, role)
        people[role].username = role.replace("_", "")  # "productmanager"
        people[role].save(update_fields=["username"])
    product = ProductFactory(portfolio=portfolio, name="Widget", stage="research")
    return type("Team", (), {"portfolio": portfolio, "people": people, "product": product})


def _told(kind) -> dict[int, int]:
    rows = Notification.objects.filter(kind=kind)
    return {uid: rows.filter(user_id=uid).count() for uid in rows.values_list("user_id", flat=True)}


def _ids(team, *roles) -> set[int]:
    return {team.people[role].id for role in roles}


def _last_event(verb) -> DomainEvent:
    return DomainEvent.objects.filter(verb=verb).latest("id")


# --- stage changes ------------------------------------------------------------------------------------------


def test_a_stage_change_tells_every_member_but_the_mover_once(team, django_capture_on_commit_callbacks):
    mover = team.people[Role.PRODUCT_MANAGER]
    with django_capture_on_commit_callbacks(execute=True):
        product_transition(
            product_id=team.product.id, to_stage="planning", reason="Interviews done", actor=mover, override=True
        )
    notification_handlers.stage_changed(_last_event("product.stage_changed"))  # the relay runs it again
    told = _told(Kind.STAGE_CHANGED)
    assert set(told) == _ids(team, Role.ADMIN, Role.MARKETER, Role.VIEWER) and set(told.values()) == {1}
    row = Notification.objects.filter(kind=Kind.STAGE_CHANGED).first()
    assert row.title == "Widget moved from Research to Planning"
    assert row.body == "Moved by productmanager: Interviews done" and row.url == f"/products/{team.product.id}/"


def test_a_rule_move_tells_everyone_and_says_so(team, django_capture_on_commit_callbacks):
    rule = LifecycleRuleFactory(portfolio=team.portfolio, from_stage="research", to_stage="planning")
    with django_capture_on_commit_callbacks(execute=True):
        product_transition(product_id=team.product.id, to_stage="planning", reason="Comet rule", rule=rule, gated=False)
    assert set(_told(Kind.STAGE_CHANGED)) == _ids(team, *Role.values)
    assert Notification.objects.filter(kind=Kind.STAGE_CHANGED).first().body.startswith("Moved by a lifecycle rule")


# --- suggestions --------------------------------------------------------------------------------------------


def test_a_suggestion_tells_admins_and_product_managers_once(team, django_capture_on_commit_callbacks):
    rule = LifecycleRuleFactory(
        portfolio=team.portfolio, from_stage="research", to_stage="planning", mode="suggest", name="Ready to plan"
    )
    with django_capture_on_commit_callbacks(execute=True):
        suggestion_create(
            rule=rule,
            product_id=team.product.id,
            stay_started_at=team.product.stage_changed_at,
            evidence={"note": "three interviews"},
            reason="Ready to plan: interviews done",
        )
    notification_handlers.suggestion_created(_last_event("stage_suggestion.created"))
    told = _told(Kind.SUGGESTION)
    assert set(told) == _ids(team, Role.ADMIN, Role.PRODUCT_MANAGER) and set(told.values()) == {1}
    row = Notification.objects.filter(kind=Kind.SUGGESTION).first()
    assert row.title == "Suggested: move Widget from Research to Planning"
    assert row.url == f"/suggestions/{Notification.objects.get(pk=row.pk).event.object_id}/"  # its evidence


def test_a_suggestion_decided_before_the_handler_ran_tells_nobody(team, django_capture_on_commit_callbacks):
    rule = LifecycleRuleFactory(portfolio=team.portfolio, from_stage="research", to_stage="planning", mode="suggest")
    with django_capture_on_commit_callbacks(execute=False):
        suggestion = suggestion_create(
            rule=rule,
            product_id=team.product.id,
            stay_started_at=team.product.stage_changed_at,
            evidence={},
            reason="r",
        )
    suggestion.status = "expired"
    suggestion.save(update_fields=["status"])
    notification_handlers.suggestion_created(_last_event("stage_suggestion.created"))
    assert not Notification.objects.filter(kind=Kind.SUGGESTION).exists()


# --- KPIs off track -----------------------------------------------------------------------------------------


def _ingest_low_march(kpi, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": "2026-03-01", "value": 5}])


def test_a_kpi_turning_off_track_records_the_event_and_tells_managers(team, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=team.product, key="revenue", name="Revenue", target=100, target_granularity="month")
    _ingest_low_march(kpi, django_capture_on_commit_callbacks)
    event = _last_event("kpi.health_changed")
    assert event.changes == {"health": ["no_data", "off_track"]} and event.object_id == kpi.id
    assert event.data["product"] == team.product.id and event.data["key"] == "revenue" and event.data["value"] == 5
    assert event.data["period"] == "2026-03-01"
    notification_handlers.kpi_health_changed(event)  # the relay runs it again
    told = _told(Kind.KPI_OFF_TRACK)
    assert set(told) == _ids(team, Role.ADMIN, Role.PRODUCT_MANAGER) and set(told.values()) == {1}
    row = Notification.objects.filter(kind=Kind.KPI_OFF_TRACK).first()
    assert row.title == "Revenue of Widget is off track" and row.url == f"/kpis/{kpi.id}/"
    assert row.body == "5 in March 2026; target 100."  # first judged: no "it was"


def test_a_campaign_kpi_off_track_tells_marketers_too(team, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(product=team.product)
    kpi = KPIFactory(product=team.product, key="signups", target=100, target_granularity="month", campaign=campaign)
    _ingest_low_march(kpi, django_capture_on_commit_callbacks)
    assert set(_told(Kind.KPI_OFF_TRACK)) == _ids(team, Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER)


def test_health_unchanged_records_no_event(team, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=team.product, key="revenue", target=100, target_granularity="month")
    _ingest_low_march(kpi, django_capture_on_commit_callbacks)
    before = DomainEvent.objects.filter(verb="kpi.health_changed").count()
    kpi_health_refresh(kpi_id=kpi.id)
    assert DomainEvent.objects.filter(verb="kpi.health_changed").count() == before == 1


def test_turning_on_track_is_an_event_but_no_notification(team, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=team.product, key="revenue", target=100, target_granularity="month")
    _ingest_low_march(kpi, django_capture_on_commit_callbacks)
    Notification.objects.all().delete()
    KPI.objects.filter(pk=kpi.pk).update(target=1)
    with django_capture_on_commit_callbacks(execute=True):
        kpi_health_refresh(kpi_id=kpi.id)
    assert _last_event("kpi.health_changed").changes == {"health": ["off_track", "on_track"]}
    assert not Notification.objects.exists()


def test_two_events_for_the_same_kpi_and_period_tell_each_person_once(team):
    kpi = KPIFactory(product=team.product, key="revenue", target=100)
    for _ in range(2):  # two workers refreshing health at once
        event = events.record(
            portfolio_id=team.portfolio.id,
            actor=None,
            verb="kpi.health_changed",
            obj=kpi,
            changes={"health": ["at_risk", "off_track"]},
            data={"product": team.product.id, "key": "revenue", "value": 80, "period": "2026-03-01"},
        )
        notification_handlers.kpi_health_changed(event)
    assert set(_told(Kind.KPI_OFF_TRACK).values()) == {1}


# --- mentions -----------------------------------------------------------------------------------------------


def test_a_mention_in_a_review_comment_tells_the_member_named(team, django_capture_on_commit_callbacks):
    document = DocumentFactory(product=team.product, title="Widget PRD")
    author = team.people[Role.PRODUCT_MANAGER]
    with django_capture_on_commit_callbacks(execute=True):
        comment = documents.document_comment_add(
            document_id=document.id,
            body="@Marketer can you check the positioning? cc @admin, and ann@example.com @nobody @productmanager.",
            actor=author,
        )
    notification_handlers.document_commented(_last_event("document.commented"))
    told = _told(Kind.MENTION)
    assert set(told) == _ids(team, Role.MARKETER, Role.ADMIN) and set(told.values()) == {1}  # not the author
    row = Notification.objects.get(kind=Kind.MENTION, user=team.people[Role.MARKETER])
    assert row.title == "productmanager mentioned you on “Widget PRD”"
    assert row.url == f"/documents/{document.id}/#comment-{comment.id}"


def test_a_comment_without_mentions_tells_nobody(team, django_capture_on_commit_callbacks):
    document = DocumentFactory(product=team.product)
    with django_capture_on_commit_callbacks(execute=True):
        documents.document_comment_add(document_id=document.id, body="Looks good.", actor=team.people[Role.ADMIN])
    assert not Notification.objects.exists()


def test_a_mention_of_someone_outside_the_portfolio_tells_nobody(team, django_capture_on_commit_callbacks):
    UserFactory(username="stranger")
    document = DocumentFactory(product=team.product)
    with django_capture_on_commit_callbacks(execute=True):
        documents.document_comment_add(document_id=document.id, body="@stranger look", actor=team.people[Role.ADMIN])
    assert not Notification.objects.exists()


def test_a_status_book_mention_tells_once_and_a_new_name_on_edit_tells_them(team, django_capture_on_commit_callbacks):
    author = team.people[Role.PRODUCT_MANAGER]
    with django_capture_on_commit_callbacks(execute=True):
        entry = status_book.status_book_entry_create(
            product=team.product, author=author, actor=author, minutes=30, text="Pricing call with @viewer"
        )
    with django_capture_on_commit_callbacks(execute=True):
        status_book.status_book_entry_update(
            entry_id=entry.id, actor=author, text="Pricing call with @viewer and @marketer"
        )
    told = _told(Kind.MENTION)
    assert set(told) == _ids(team, Role.VIEWER, Role.MARKETER) and set(told.values()) == {1}
    row = Notification.objects.get(kind=Kind.MENTION, user=team.people[Role.VIEWER])
    assert row.title == "productmanager mentioned you in the status book (Widget)"
    assert row.url.startswith(f"/portfolios/{team.portfolio.id}/status-book/?author=productmanager&from=")


@pytest.mark.parametrize(
    "text, names",
    [
        ("@ann", ["ann"]),
        ("Thanks @ann.", ["ann"]),
        ("mail ann@example.com", []),
        ("(@ann) and @bob_2,", ["ann", "bob_2"]),
        ("@", []),
    ],
)
def test_mentions_are_found_where_a_name_starts(text, names):
    found = [m.rstrip(".-").lower() for m in notification_handlers.MENTION.findall(text)]
    assert [name for name in found if name] == names
