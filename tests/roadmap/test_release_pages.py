"""The release pages (list, page, form, ship, delete) and the scoring weights page."""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import DomainEvent, Role
from roadmap.models import Release, RoadmapItem, ScoringWeights
from roadmap.services import release_ship
from tests.factories import PortfolioFactory, ProductFactory, ReleaseFactory, RoadmapItemFactory, member

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone=BERLIN.key)


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


@pytest.fixture
def pm(client, portfolio):
    user = member(portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


def berlin_today() -> datetime.date:
    """Today where the portfolio is: from 23:00 UTC it is already tomorrow in Berlin."""
    return timezone.localdate(timezone=BERLIN)


def days(n: int) -> datetime.date:
    return berlin_today() + datetime.timedelta(days=n)


def text(response) -> str:
    return response.content.decode()


def release_with_items(product, *, done=0, open_=0, dropped=0, **fields):
    release = ReleaseFactory(product=product, **fields)
    for i in range(done):
        RoadmapItemFactory(product=product, release=release, status="done", title=f"Done {release.version}.{i}")
    for i in range(open_):
        RoadmapItemFactory(product=product, release=release, status="in_progress", title=f"Open {release.version}.{i}")
    for i in range(dropped):
        RoadmapItemFactory(product=product, release=release, status="dropped", title=f"Drop {release.version}.{i}")
    return release


# --- the list ---------------------------------------------------------------------------------------


def test_list_shows_planned_by_target_date_then_shipped_newest_first(client, portfolio, product, pm):
    late = ReleaseFactory(product=product, version="3.0", target_date=days(60))
    soon = ReleaseFactory(product=product, version="2.0", target_date=days(5))
    undated = ReleaseFactory(product=product, version="4.0")
    old = ReleaseFactory(product=product, version="0.9")
    new = ReleaseFactory(product=product, version="1.0")
    release_ship(release_id=old.id)
    release_ship(release_id=new.id)
    Release.objects.filter(pk=old.pk).update(shipped_at=timezone.now() - datetime.timedelta(days=30))
    page = text(client.get(f"/portfolios/{portfolio.id}/releases/"))
    order = [m for m in re.findall(r'href="/releases/(\d+)/"', page)]
    assert order == [str(r.id) for r in (soon, late, undated, new, old)]


def test_list_marks_a_planned_release_past_its_target_date_overdue(client, portfolio, product, pm):
    ReleaseFactory(product=product, version="1.0", target_date=days(-3))
    ReleaseFactory(product=product, version="2.0", target_date=days(3))
    page = text(client.get(f"/portfolios/{portfolio.id}/releases/"))
    rows = re.findall(r"<tr(?: class=\"overdue\")?>.*?</tr>", page, re.S)
    overdue = [row for row in rows if "overdue-mark" in row]
    assert len(overdue) == 1 and ">1.0<" in overdue[0]


def test_a_shipped_release_past_its_target_date_is_not_overdue(client, portfolio, product, pm):
    release = ReleaseFactory(product=product, version="1.0", target_date=days(-3))
    release_ship(release_id=release.id)
    assert "overdue-mark" not in text(client.get(f"/portfolios/{portfolio.id}/releases/"))


def test_list_shows_readiness_done_of_total(client, portfolio, product, pm):
    release_with_items(product, version="1.0", done=3, open_=1, dropped=1)
    page = text(client.get(f"/portfolios/{portfolio.id}/releases/"))
    assert '<progress max="5" value="3"' in page
    assert "3 of 5 done" in page


def test_list_filters_by_product_and_status(client, portfolio, product, pm):
    other = ProductFactory(portfolio=portfolio, name="Orbit")
    ReleaseFactory(product=product, version="1.1")
    ReleaseFactory(product=other, version="7.7")
    shipped = ReleaseFactory(product=product, version="1.0")
    release_ship(release_id=shipped.id)
    page = text(client.get(f"/portfolios/{portfolio.id}/releases/?product={product.id}&status=planned"))
    assert ">1.1<" in page and ">7.7<" not in page and ">1.0<" not in page
    assert f'href="/releases/new/?product={product.id}"' in page


def test_list_offers_a_product_choice_for_a_new_release_when_not_narrowed(client, portfolio, product, pm):
    page = text(client.get(f"/portfolios/{portfolio.id}/releases/"))
    assert 'action="/releases/new/"' in page and f'<option value="{product.id}"' in page


def test_empty_list_says_what_to_do(client, portfolio, product, pm):
    page = text(client.get(f"/portfolios/{portfolio.id}/releases/"))
    assert "No releases yet" in page and "New release" in page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_see_releases_without_controls(client, portfolio, product, role):
    release = release_with_items(product, version="1.0", open_=1)
    as_role(client, portfolio, role)
    listing = text(client.get(f"/portfolios/{portfolio.id}/releases/"))
    assert ">1.0<" in listing and "New release" not in listing
    page = text(client.get(f"/releases/{release.id}/"))
    assert "Ship anyway" not in page and "/edit/" not in page and "/delete/" not in page
    assert "Admins and product managers ship releases" in page


def test_another_portfolios_list_and_release_are_404(client, portfolio, product, pm):
    elsewhere = ProductFactory(name="Hidden")
    release = ReleaseFactory(product=elsewhere, version="6.6")
    assert client.get(f"/portfolios/{elsewhere.portfolio_id}/releases/").status_code == 404
    assert client.get(f"/releases/{release.id}/").status_code == 404
    assert client.post(f"/releases/{release.id}/ship/").status_code == 404
    assert client.get(f"/releases/new/?product={elsewhere.id}").status_code == 404
    assert client.post(f"/releases/new/?product={elsewhere.id}", {"version": "1"}).status_code == 404
    assert not Release.objects.filter(version="1").exists()


# --- the release page -------------------------------------------------------------------------------


def test_release_page_groups_items_by_status_with_links_and_kinds(client, portfolio, product, pm):
    release = ReleaseFactory(product=product, version="2.0", name="Spring", description="Faster sync")
    started = RoadmapItemFactory(product=product, release=release, status="in_progress", title="Sync engine")
    done = RoadmapItemFactory(product=product, release=release, status="done", kind="requirement", title="Retry")
    page = text(client.get(f"/releases/{release.id}/"))
    assert "Spring" in page and "Faster sync" in page
    assert f'href="/roadmap-items/{started.id}/"' in page and f'href="/roadmap-items/{done.id}/"' in page
    assert page.index("In progress") < page.index("Sync engine") < page.index(">Done <") < page.index("Retry")
    assert 'kind-badge kind-requirement">Requirement' in page
    assert "1 of 2 done" in page


def test_release_page_shows_history(client, portfolio, product, pm):
    client.post(f"/releases/new/?product={product.id}", {"version": "2.0"})
    release = Release.objects.get(version="2.0")
    client.post(f"/releases/{release.id}/edit/", {"version": "2.0", "target_date": "2026-09-01"})
    page = text(client.get(f"/releases/{release.id}/"))
    assert "Created" in page and "Updated" in page and "2026-09-01" in page


def test_release_page_offers_ship_anyway_with_a_reason_while_items_are_open(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", done=1, open_=2)
    page = text(client.get(f"/releases/{release.id}/"))
    assert "2 items are still open" in page and "Ship anyway" in page
    assert 'name="override" value="true"' in page and 'name="reason"' in page


# --- create, edit, delete ---------------------------------------------------------------------------


def test_create_a_release_from_the_page(client, portfolio, product, pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/releases/new/?product={product.id}",
            {"version": " 2.4 ", "name": "Spring", "description": "x", "target_date": "2026-06-30"},
        )
    release = Release.objects.get(product=product)
    assert response.status_code == 302 and response["Location"] == f"/releases/{release.id}/"
    assert (release.version, release.target_date) == ("2.4", datetime.date(2026, 6, 30))
    assert DomainEvent.objects.filter(verb="release.created", object_id=release.id).exists()


def test_create_needs_a_product(client, portfolio, pm):
    assert client.get("/releases/new/").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": ""}, "version"),
        ({"version": "   "}, "version"),
        ({"version": "1.0", "target_date": "next week"}, "target_date"),
        ({"version": "x" * 51}, "version"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(client, portfolio, product, pm, body, field):
    response = client.post(f"/releases/new/?product={product.id}", body)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Release.objects.exists() and not DomainEvent.objects.exists()


def test_a_taken_version_is_a_field_error(client, portfolio, product, pm):
    ReleaseFactory(product=product, version="2.4")
    response = client.post(f"/releases/new/?product={product.id}", {"version": "2.4"})
    assert response.status_code == 400
    assert response.context["form"].errors["version"] == ["This product already has a release with this version."]
    assert Release.objects.count() == 1


def test_edit_a_release_and_a_taken_version_on_edit(client, portfolio, product, pm):
    ReleaseFactory(product=product, version="1.0")
    release = ReleaseFactory(product=product, version="2.0")
    response = client.post(f"/releases/{release.id}/edit/", {"version": "1.0"})
    assert response.status_code == 400 and "version" in response.context["form"].errors
    release.refresh_from_db()
    assert release.version == "2.0"
    response = client.post(f"/releases/{release.id}/edit/", {"version": "2.1", "name": "Summer"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.version, release.name) == ("2.1", "Summer")


def test_edit_form_is_filled_with_the_release(client, portfolio, product, pm):
    release = ReleaseFactory(product=product, version="2.0", target_date=datetime.date(2026, 5, 1))
    page = text(client.get(f"/releases/{release.id}/edit/"))
    assert 'value="2.0"' in page and 'value="2026-05-01"' in page


def test_delete_keeps_the_items_without_a_release(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", open_=2)
    confirm = text(client.get(f"/releases/{release.id}/delete/"))
    assert "Its 2 items stay on the roadmap, without a release." in confirm
    response = client.post(f"/releases/{release.id}/delete/")
    assert response.status_code == 302
    assert not Release.objects.exists()
    assert RoadmapItem.objects.filter(product=product, release__isnull=True).count() == 2


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_cannot_create_edit_delete_or_ship(client, portfolio, product, role):
    release = release_with_items(product, version="2.0")
    as_role(client, portfolio, role)
    assert client.get(f"/releases/new/?product={product.id}").status_code == 403
    assert client.post(f"/releases/new/?product={product.id}", {"version": "3.0"}).status_code == 403
    assert client.post(f"/releases/{release.id}/edit/", {"version": "2.1"}).status_code == 403
    assert client.post(f"/releases/{release.id}/delete/").status_code == 403
    assert client.post(f"/releases/{release.id}/ship/").status_code == 403
    release.refresh_from_db()
    assert (release.version, release.status, Release.objects.count()) == ("2.0", "planned", 1)


# --- shipping ---------------------------------------------------------------------------------------


def test_ship_a_release_without_open_items(client, portfolio, product, pm, django_capture_on_commit_callbacks):
    release = release_with_items(product, version="2.0", done=2, dropped=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/releases/{release.id}/ship/")
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.shipped_by, release.ship_reason) == ("shipped", pm, "")
    assert DomainEvent.objects.filter(verb="release.shipped", object_id=release.id).exists()
    page = text(client.get(f"/releases/{release.id}/"))
    assert "Shipped on" in page and pm.username in page and "Ship anyway" not in page


def test_ship_is_refused_with_the_open_items_listed(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", done=1, open_=2)
    response = client.post(f"/releases/{release.id}/ship/")
    assert response.status_code == 409
    page = text(response)
    assert "Not shipped:" in page and "2 items are neither done nor dropped" in page
    for item in release.items.exclude(status="done"):
        assert f'<a href="/roadmap-items/{item.id}/">{item.title}</a>' in page
    release.refresh_from_db()
    assert release.status == "planned"
    assert not DomainEvent.objects.filter(verb="release.shipped").exists()


def test_ship_anyway_without_a_reason_is_a_field_error(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", open_=1)
    response = client.post(f"/releases/{release.id}/ship/", {"override": "true", "reason": "  "})
    assert response.status_code == 400
    assert response.context["ship_form"].errors["reason"]
    release.refresh_from_db()
    assert release.status == "planned"


def test_ship_anyway_with_a_reason_ships_and_shows_it(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", open_=1)
    response = client.post(f"/releases/{release.id}/ship/", {"override": "true", "reason": "Hotfix cannot wait"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.ship_reason) == ("shipped", "Hotfix cannot wait")
    page = text(client.get(f"/releases/{release.id}/"))
    assert "Shipped with open items." in page and "Hotfix cannot wait" in page


def test_shipping_twice_says_so_and_changes_nothing(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0")
    client.post(f"/releases/{release.id}/ship/")
    release.refresh_from_db()
    first = release.shipped_at
    response = client.post(f"/releases/{release.id}/ship/", follow=True)
    assert "Nothing to do: 2.0 shipped on" in text(response)
    release.refresh_from_db()
    assert release.shipped_at == first
    assert DomainEvent.objects.filter(verb="release.shipped").count() == 1


def test_get_on_ship_leads_to_the_ship_form(client, portfolio, product, pm):
    release = ReleaseFactory(product=product)
    response = client.get(f"/releases/{release.id}/ship/")
    assert response.status_code == 302 and response["Location"] == f"/releases/{release.id}/#ship"


# --- query counts -----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)  # the first visit remembers the portfolio in the session: not the page's own cost
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_release_list_query_count_is_constant(client, portfolio, pm):
    def grow(n):
        for _ in range(n):
            product = ProductFactory(portfolio=portfolio)
            release_with_items(product, done=1, open_=1, target_date=days(-1))
            shipped = release_with_items(product, done=1)
            release_ship(release_id=shipped.id, actor=pm)

    url = f"/portfolios/{portfolio.id}/releases/"
    grow(1)
    once = _queries(client, url)
    grow(9)
    assert _queries(client, url) == once


def test_release_page_query_count_is_constant(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", done=1, open_=1)
    client.post(f"/releases/{release.id}/edit/", {"version": "2.0", "name": "a"})
    url = f"/releases/{release.id}/"
    once = _queries(client, url)
    for i in range(9):
        RoadmapItemFactory(product=product, release=release, status="done", owner=pm)
        RoadmapItemFactory(product=product, release=release, status="planned")
        client.post(f"/releases/{release.id}/edit/", {"version": "2.0", "name": f"name {i}"})
    assert _queries(client, url) == once


# --- scoring weights --------------------------------------------------------------------------------


def test_admin_saves_weights(client, portfolio, django_capture_on_commit_callbacks):
    as_role(client, portfolio, Role.ADMIN)
    body = {name: "0" for name in ScoringWeights.defaults()} | {"value": "4", "effort": "−1.5"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/portfolios/{portfolio.id}/scoring/", body)
    assert response.status_code == 302
    weights = ScoringWeights.objects.get(portfolio=portfolio)
    assert (weights.value, weights.effort, weights.business_value) == (4, -1.5, 0)
    assert DomainEvent.objects.filter(verb="scoring_weights.updated").exists()


@pytest.mark.parametrize("value", ["101", "-100.5", "abc", "", "1e9999", "1000000"])
def test_a_bad_weight_is_a_field_error_and_nothing_is_saved(client, portfolio, value):
    as_role(client, portfolio, Role.ADMIN)
    body = {name: "1" for name in ScoringWeights.defaults()} | {"reach": value}
    response = client.post(f"/portfolios/{portfolio.id}/scoring/", body)
    assert response.status_code == 400
    assert response.context["form"].errors["reach"]
    assert not ScoringWeights.objects.exists()


def test_a_weight_of_101_says_the_range(client, portfolio):
    as_role(client, portfolio, Role.ADMIN)
    body = {name: "1" for name in ScoringWeights.defaults()} | {"reach": "101"}
    response = client.post(f"/portfolios/{portfolio.id}/scoring/", body)
    assert response.context["form"].errors["reach"] == ["A weight from −100 to 100."]


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
def test_only_admins_change_weights_every_member_reads_them(client, portfolio, role):
    as_role(client, portfolio, role)
    page = client.get(f"/portfolios/{portfolio.id}/scoring/")
    assert page.status_code == 200
    assert "Save weights" not in text(page) and "Only admins" in text(page)
    body = {name: "1" for name in ScoringWeights.defaults()}
    assert client.post(f"/portfolios/{portfolio.id}/scoring/", body).status_code == 403
    assert not ScoringWeights.objects.exists()


def test_weights_page_shows_the_top_five_open_items_by_weighted_score(client, portfolio, product):
    as_role(client, portfolio, Role.ADMIN)
    ScoringWeights.objects.create(
        portfolio=portfolio, value=1, business_value=0, time_criticality=0, risk_reduction=0, effort=0
    )
    for value in range(1, 8):
        RoadmapItemFactory(product=product, title=f"Valued {value}", value=value)
    RoadmapItemFactory(product=product, title="Finished best", value=99, status="done")
    RoadmapItemFactory(product=product, title="Unvalued")
    page = text(client.get(f"/portfolios/{portfolio.id}/scoring/"))
    shown = re.findall(r">(Valued \d|Finished best|Unvalued)</a>", page)
    assert shown == ["Valued 7", "Valued 6", "Valued 5", "Valued 4", "Valued 3"]
    assert "1 of 8 open items has no weighted score" in page


def test_weights_page_says_the_formula_and_links_back_to_the_items(client, portfolio):
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/scoring/"))
    assert "Σ (weight × input) ÷ Σ |weight|" in page and "negative" in page
    assert f'href="/portfolios/{portfolio.id}/roadmap/items/"' in page


def test_weights_page_of_another_portfolio_is_404(client, portfolio):
    as_role(client, portfolio, Role.ADMIN)
    other = PortfolioFactory()
    assert client.get(f"/portfolios/{other.id}/scoring/").status_code == 404
    assert client.post(f"/portfolios/{other.id}/scoring/", {"value": "1"}).status_code == 404


def test_history_shows_the_ship_time_in_the_portfolio_zone(client, portfolio, product, pm):
    release = ReleaseFactory(product=product, version="2.0")
    client.post(f"/releases/{release.id}/ship/")
    release.refresh_from_db()
    local = timezone.localtime(release.shipped_at, portfolio.zone)
    page = text(client.get(f"/releases/{release.id}/"))
    assert f"Shipped at: — → {local:%Y-%m-%d %H:%M}<" in page
    assert "+00:00" not in page


def test_the_ship_anyway_reason_is_not_marked_optional(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", open_=1)
    page = text(client.get(f"/releases/{release.id}/"))
    form = page[page.index('id="ship"') :]
    assert "Why ship with open items?" in form and "(optional)" not in form[: form.index("Ship anyway")]


# --- planning a release's items on its page --------------------------------------------------------------


def test_release_page_adds_several_items_at_once(client, product, pm):
    release = ReleaseFactory(product=product, version="2.0")
    first = RoadmapItemFactory(product=product, title="Offline mode")
    second = RoadmapItemFactory(product=product, title="Dark theme", rank=1, release=ReleaseFactory(product=product))
    page = text(client.get(f"/releases/{release.id}/"))
    assert "Offline mode" in page and "now in" in page  # the one in another release says so
    response = client.post(f"/releases/{release.id}/items/", {"add": [first.id, second.id]})
    assert response.status_code == 302
    assert set(release.items.values_list("title", flat=True)) == {"Offline mode", "Dark theme"}
    assert DomainEvent.objects.filter(verb="roadmap_item.updated", object_id__in=[first.id, second.id]).count() == 2


def test_release_page_takes_an_item_out(client, product, pm):
    release = release_with_items(product, open_=2, version="2.1")
    item = release.items.first()
    client.post(f"/releases/{release.id}/items/", {"remove": item.id})
    item.refresh_from_db()
    assert item.release_id is None and release.items.count() == 1


def test_release_page_refuses_another_products_item_and_changes_nothing(client, portfolio, product, pm):
    release = ReleaseFactory(product=product)
    mine = RoadmapItemFactory(product=product)
    theirs = RoadmapItemFactory(product=ProductFactory(portfolio=portfolio))
    response = client.post(f"/releases/{release.id}/items/", {"add": [mine.id, theirs.id]}, follow=True)
    assert "Only items of Nebula" in text(response)
    assert release.items.count() == 0


def test_a_shipped_release_keeps_its_items(client, product, pm):
    release = release_with_items(product, done=1, version="1.0")
    release_ship(release_id=release.id)
    item = release.items.get()
    response = client.post(f"/releases/{release.id}/items/", {"remove": item.id}, follow=True)
    assert "has shipped" in text(response)
    item.refresh_from_db()
    assert item.release_id == release.id
    assert "Take out" not in text(client.get(f"/releases/{release.id}/"))


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_cannot_plan_a_releases_items(client, portfolio, product, role):
    release = ReleaseFactory(product=product)
    item = RoadmapItemFactory(product=product)
    as_role(client, portfolio, role)
    assert "Take out" not in text(client.get(f"/releases/{release.id}/")) and 'name="add"' not in text(
        client.get(f"/releases/{release.id}/")
    )
    assert client.post(f"/releases/{release.id}/items/", {"add": [item.id]}).status_code == 403
    assert release.items.count() == 0


def test_release_page_flags_open_items_that_end_after_it_is_due(client, product, pm):
    release = ReleaseFactory(product=product, version="3.0", target_date=days(10))
    RoadmapItemFactory(product=product, release=release, status="planned", title="Late one", end_date=days(20))
    RoadmapItemFactory(product=product, release=release, status="planned", title="On time", end_date=days(5), rank=1)
    page = text(client.get(f"/releases/{release.id}/"))
    assert "1 open item ends after 3.0 is due" in page
    assert page.count("after the release</span>") == 1


# --- review: strangers, readers, absurd input and the weights page's query count ----------------------


def _state():
    return (
        list(Release.objects.order_by("id").values_list("id", "version", "name", "status", "target_date")),
        list(RoadmapItem.objects.order_by("id").values_list("id", "release_id")),
        list(ScoringWeights.objects.values_list("portfolio_id", "reach", "value")),
        DomainEvent.objects.count(),
    )


RELEASE_URLS = [  # (method, url, body): every URL of roadmap/release_views.py
    ("get", "/portfolios/{portfolio}/releases/", None),
    ("get", "/releases/new/?product={product}", None),
    ("post", "/releases/new/?product={product}", {"version": "9.0"}),
    ("get", "/releases/{release}/", None),
    ("get", "/releases/{release}/edit/", None),
    ("post", "/releases/{release}/edit/", {"version": "2.1"}),
    ("get", "/releases/{release}/delete/", None),
    ("post", "/releases/{release}/delete/", {}),
    ("post", "/releases/{release}/ship/", {"override": "true", "reason": "Now"}),
    ("post", "/releases/{release}/items/", {"add": "{item}"}),
    ("post", "/releases/{release}/items/", {"remove": "{planned}"}),
    ("get", "/portfolios/{portfolio}/scoring/", None),
    ("post", "/portfolios/{portfolio}/scoring/", {"reach": "5"}),
]


def _house(product):
    release = ReleaseFactory(product=product, version="2.0")
    planned = RoadmapItemFactory(product=product, release=release, status="planned")
    item = RoadmapItemFactory(product=product, title="Unplanned")
    return {"portfolio": product.portfolio_id, "product": product.id, "release": release.id}, item, planned


def _call(client, method, url, body, **ids):
    url = url.format(**ids)
    if body is None:
        return getattr(client, method)(url)
    data = {name: "1" for name in ScoringWeights.defaults()} if "scoring" in url else {}
    return client.post(url, data | {k: v.format(**ids) for k, v in body.items()})


@pytest.mark.parametrize("method, url, body", RELEASE_URLS)
def test_a_member_of_another_portfolio_gets_404_and_changes_nothing(client, product, method, url, body):
    ids, item, planned = _house(product)
    client.force_login(member(product.portfolio, None))
    before = _state()
    assert _call(client, method, url, body, item=item.id, planned=planned.id, **ids).status_code == 404
    assert _state() == before


@pytest.mark.parametrize("method, url, body", [r for r in RELEASE_URLS if r[0] == "post" or "/new/" in r[1]])
@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_a_reader_gets_403_on_every_write_url_and_changes_nothing(client, product, role, method, url, body):
    ids, item, planned = _house(product)
    as_role(client, product.portfolio, role)
    before = _state()
    assert _call(client, method, url, body, item=item.id, planned=planned.id, **ids).status_code == 403
    assert _state() == before


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_a_reader_gets_403_on_the_edit_and_delete_pages(client, product, role):
    release = ReleaseFactory(product=product)
    as_role(client, product.portfolio, role)
    assert client.get(f"/releases/{release.id}/edit/").status_code == 403
    assert client.get(f"/releases/{release.id}/delete/").status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": "2.\x00"}, "version"),
        ({"version": "2.0", "name": "Spring\x00"}, "name"),
        ({"version": "2.0", "description": "a\x00b"}, "description"),
        ({"version": "2.0", "description": "x" * 20_001}, "description"),
        ({"version": "2.0", "name": "x" * 201}, "name"),
        ({"version": "2.0", "target_date": "0001-01-01"}, "target_date"),
        ({"version": "2.0", "target_date": "9999-12-31"}, "target_date"),
        ({"version": "2.0", "target_date": "99999-01-01"}, "target_date"),
        ({"version": "2.0", "target_date": "1e9999999"}, "target_date"),
    ],
)
def test_absurd_release_input_is_a_field_error_on_create_and_edit_and_writes_nothing(
    client, portfolio, product, pm, body, field
):
    release = ReleaseFactory(product=product, version="1.0")
    before = _state()
    for url in (f"/releases/new/?product={product.id}", f"/releases/{release.id}/edit/"):
        response = client.post(url, body)
        assert response.status_code == 400, url
        assert response.context["form"].errors.get(field), url
    assert _state() == before


@pytest.mark.parametrize("value", ["1e9999999", "99999999999999999999", "1\x00", "²", "NaN", "Infinity", "x" * 10_000])
def test_absurd_weights_are_a_field_error_and_nothing_is_saved(client, portfolio, value):
    as_role(client, portfolio, Role.ADMIN)
    before = _state()
    body = {name: "1" for name in ScoringWeights.defaults()} | {"effort": value}
    response = client.post(f"/portfolios/{portfolio.id}/scoring/", body)
    assert response.status_code == 400 and response.context["form"].errors["effort"]
    assert _state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"add": ["²"]},
        {"add": ["99999999999999999999"]},
        {"add": ["1e5"]},
        {"add": ["\x00"]},
        {"add": ["{mine}", "-1"]},
        {"remove": "²"},
        {"add": ["{foreign}"]},
        {"add": ["{mine}", "{foreign}"]},
        {},
    ],
)
def test_absurd_release_items_input_is_refused_and_changes_nothing(client, product, pm, body):
    release = ReleaseFactory(product=product)
    mine = RoadmapItemFactory(product=product)
    foreign = RoadmapItemFactory(product=ProductFactory())
    before = _state()

    def fill(value):
        return value.format(mine=mine.id, foreign=foreign.id)

    data = {k: [fill(v) for v in value] if isinstance(value, list) else fill(value) for k, value in body.items()}
    response = client.post(f"/releases/{release.id}/items/", data, follow=True)
    assert response.status_code == 200
    assert "Nothing was changed" in text(response)
    assert _state() == before


@pytest.mark.parametrize("query", ["?product=²", "?product=99999999999999999999", "?status=%00", "?page=²"])
def test_the_release_list_survives_absurd_filters(client, portfolio, product, pm, query):
    ReleaseFactory(product=product, version="7.7")
    response = client.get(f"/portfolios/{portfolio.id}/releases/{query}")
    assert response.status_code == 200 and ">7.7<" in text(response)


def test_scoring_weights_page_query_count_is_constant(client, portfolio):
    as_role(client, portfolio, Role.ADMIN)
    url = f"/portfolios/{portfolio.id}/scoring/"

    def grow(n):
        for i in range(n):
            product = ProductFactory(portfolio=portfolio)
            for status in ("planned", "done"):
                RoadmapItemFactory(product=product, status=status, value=i + 1, reach=10, effort=2, business_value=3)
            RoadmapItemFactory(product=product)  # unscored

    grow(2)
    client.post(url, {name: "1" for name in ScoringWeights.defaults()})  # saved weights, as most portfolios have
    once = _queries(client, url)
    grow(18)
    assert _queries(client, url) == once


def test_release_form_pages_query_count_is_constant(client, portfolio, product, pm):
    release = release_with_items(product, version="2.0", done=1, open_=1)
    urls = (f"/releases/new/?product={product.id}", f"/releases/{release.id}/edit/", f"/releases/{release.id}/delete/")
    once = [_queries(client, url) for url in urls]
    for _ in range(9):
        release_with_items(product, done=1, open_=1)
        RoadmapItemFactory(product=product, release=release)
    assert [_queries(client, url) for url in urls] == once
