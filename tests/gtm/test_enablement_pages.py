"""The pages of sales enablement, events and press: lists and filters, forms (upload, limits, rules as field
errors), the permission-checked download, delete confirmations, buttons by role and the cost of a list."""

import datetime
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gtm.models import Asset, MarketingEvent, PressItem
from gtm.services import enablement as services
from products.models import DomainEvent, Role
from tests.factories import (
    AssetFactory,
    LaunchPlanFactory,
    MarketingEventFactory,
    PortfolioFactory,
    PressItemFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone=BERLIN.key)


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


@pytest.fixture
def marketer(client, portfolio):
    return as_role(client, portfolio, Role.MARKETER)


def text(response) -> str:
    return response.content.decode()


def upload(name="deck.pdf", content=b"%PDF-1.4 deck"):
    return SimpleUploadedFile(name, content, "application/pdf")


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def berlin_today() -> datetime.date:
    """Today where the portfolio is: from 23:00 UTC it is already tomorrow in Berlin."""
    return timezone.localdate(timezone=BERLIN)


def days(n: int) -> datetime.date:
    return berlin_today() + datetime.timedelta(days=n)


ASSET_FORM = {"title": "Deck", "kind": "pitch_deck", "audience": "sales", "version": "1"}


# --- the asset library --------------------------------------------------------------------------------


def test_library_shows_kind_version_audience_and_a_link_or_a_download(client, portfolio, product, marketer):
    AssetFactory(product=product, title="Battle card vs Acme", kind="battle_card", version="3", audience="partners")
    filed = services.asset_create(product=product, title="Pitch deck", file=upload(content=b"x" * 2_516_582))
    page = text(client.get(f"/portfolios/{portfolio.id}/assets/"))
    assert "Battle card vs Acme" in page and "v3 · for partners" in page
    assert 'href="https://intranet.example.com/battle-card"' in page and 'rel="noopener noreferrer"' in page
    assert f'href="/assets/{filed.id}/file/"' in page and 'Download <span class="nowrap">(2.4 MB)</span>' in page


def test_library_never_links_to_a_stored_path(client, portfolio, product, marketer):
    asset = services.asset_create(product=product, title="Pitch deck", file=upload())
    assert asset.file.name not in text(client.get(f"/portfolios/{portfolio.id}/assets/"))


def test_library_filters_by_product_plan_kind_and_audience(client, portfolio, product, marketer):
    other = ProductFactory(portfolio=portfolio, name="Orbit")
    plan = LaunchPlanFactory(product=product, name="Nova launch")
    AssetFactory(product=product, launch_plan=plan, kind="faq", audience="support", title="Wanted FAQ")
    AssetFactory(product=product, kind="faq", audience="support", title="Planless FAQ")
    AssetFactory(product=product, launch_plan=plan, kind="faq", audience="sales", title="Sales FAQ")
    AssetFactory(product=other, kind="faq", audience="support", title="Orbit FAQ")
    query = f"?product={product.id}&launch_plan={plan.id}&kind=faq&audience=support"
    page = text(client.get(f"/portfolios/{portfolio.id}/assets/{query}"))
    assert "Wanted FAQ" in page
    assert not any(title in page for title in ("Planless FAQ", "Sales FAQ", "Orbit FAQ"))


def test_a_bad_filter_value_is_ignored_not_a_500(client, portfolio, product, marketer):
    AssetFactory(product=product, title="Card")
    response = client.get(f"/portfolios/{portfolio.id}/assets/?product=²&kind=poster&launch_plan=99999999999999999999")
    assert response.status_code == 200 and "Card" in text(response)


def test_writers_see_the_buttons_and_viewers_do_not(client, portfolio, product):
    asset = AssetFactory(product=product)
    as_role(client, portfolio, Role.MARKETER)
    page = text(client.get(f"/portfolios/{portfolio.id}/assets/?product={product.id}"))
    assert f"/assets/{asset.id}/edit/" in page and f"/assets/new/?product={product.id}" in page
    assert "Read only" not in page
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/assets/?product={product.id}"))
    assert f"/assets/{asset.id}/edit/" not in page and "/assets/new/" not in page and "Read only" in page


def test_an_empty_library_says_what_to_do(client, portfolio, product, marketer):
    page = text(client.get(f"/portfolios/{portfolio.id}/assets/"))
    assert "The library is empty" in page and "New asset" in page


def test_the_asset_form_uploads_and_states_the_limit(client, product, marketer, settings):
    settings.ASSET_MAX_BYTES = 10 * 1024 * 1024
    page = text(client.get(f"/assets/new/?product={product.id}"))
    assert 'enctype="multipart/form-data"' in page and "Up to 10 MB" in page


def test_uploading_a_file_adds_the_asset(client, product, marketer, media):
    response = client.post(f"/assets/new/?product={product.id}", {**ASSET_FORM, "file": upload("my deck.pdf")})
    assert response.status_code == 302
    asset = Asset.objects.get()
    assert services.file_name(asset) == "my_deck.pdf" and len(stored_files(media)) == 1
    assert DomainEvent.objects.filter(verb="asset.created", actor=marketer).exists()


def test_a_file_over_the_limit_is_a_form_error_naming_it_and_nothing_is_stored(
    client, product, marketer, media, settings
):
    settings.ASSET_MAX_BYTES = 100
    response = client.post(f"/assets/new/?product={product.id}", {**ASSET_FORM, "file": upload(content=b"x" * 101)})
    assert response.status_code == 400 and "Files up to 100 bytes are accepted" in text(response)
    assert not Asset.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"])
def test_a_link_of_another_scheme_is_a_form_error(client, product, marketer, url):
    response = client.post(f"/assets/new/?product={product.id}", {**ASSET_FORM, "url": url})
    assert response.status_code == 400 and "http://" in text(response)
    assert not Asset.objects.exists()


def test_an_asset_with_neither_is_a_form_error(client, product, marketer):
    response = client.post(f"/assets/new/?product={product.id}", ASSET_FORM)
    assert response.status_code == 400 and "Give a link" in text(response)


def test_a_viewer_cannot_open_the_form_or_post_it(client, portfolio, product, media):
    as_role(client, portfolio, Role.VIEWER)
    assert client.get(f"/assets/new/?product={product.id}").status_code == 403
    response = client.post(f"/assets/new/?product={product.id}", {**ASSET_FORM, "file": upload()})
    assert response.status_code == 403 and not Asset.objects.exists() and stored_files(media) == []


def test_the_edit_form_shows_the_stored_file_and_replaces_it(
    client, product, marketer, media, django_capture_on_commit_callbacks
):
    asset = services.asset_create(product=product, title="Deck", file=upload("v1.pdf"), version="1")
    page = text(client.get(f"/assets/{asset.id}/edit/"))
    assert "v1.pdf" in page and "Replace the file" in page and "Remove the stored file" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/assets/{asset.id}/edit/", {**ASSET_FORM, "version": "2", "file": upload("v2.pdf")})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert services.file_name(asset) == "v2.pdf" and asset.version == "2"
    assert [p.name for p in stored_files(media)] == ["v2.pdf"]


def test_the_edit_form_removes_the_file_of_an_asset_with_a_link(
    client, product, marketer, media, django_capture_on_commit_callbacks
):
    asset = services.asset_create(product=product, title="Deck", file=upload(), url="https://x.test/deck")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/assets/{asset.id}/edit/", {**ASSET_FORM, "url": "https://x.test/deck", "remove_file": "on"}
        )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert not asset.file and stored_files(media) == []


def test_an_edit_without_a_new_file_keeps_the_stored_one(client, product, marketer, media):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    response = client.post(f"/assets/{asset.id}/edit/", {**ASSET_FORM, "title": "Deck 2"})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.title == "Deck 2" and asset.file and len(stored_files(media)) == 1


def test_the_delete_page_names_the_file_and_deleting_removes_it(
    client, product, marketer, media, django_capture_on_commit_callbacks
):
    asset = services.asset_create(product=product, title="Deck", file=upload("deck.pdf", b"x" * 2048))
    page = text(client.get(f"/assets/{asset.id}/delete/"))
    assert "deck.pdf (2 KB)" in page and "cannot be undone" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/assets/{asset.id}/delete/").status_code == 302
    assert not Asset.objects.exists() and stored_files(media) == []


# --- the download -------------------------------------------------------------------------------------


def test_a_viewer_downloads_the_file_as_an_attachment(client, portfolio, product):
    asset = services.asset_create(product=product, title="Deck", file=upload("Q3 deck.pdf", b"deck bytes"))
    as_role(client, portfolio, Role.VIEWER)
    response = client.get(f"/assets/{asset.id}/file/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"deck bytes"
    assert response["Content-Disposition"] == 'attachment; filename="Q3_deck.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "application/pdf"


def test_an_outsider_gets_a_404(client, product):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    as_role(client, PortfolioFactory(), Role.ADMIN)
    assert client.get(f"/assets/{asset.id}/file/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, product):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    response = client.get(f"/assets/{asset.id}/file/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name", ["page.html", "image.svg", "feed.xml", "script.js"])
def test_a_file_a_browser_would_run_downloads_as_plain_bytes(client, product, marketer, name):
    asset = services.asset_create(product=product, title="Odd", file=upload(name, b"<script>alert(1)</script>"))
    response = client.get(f"/assets/{asset.id}/file/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_link_only_asset_sends_members_to_its_link(client, product, marketer):
    asset = AssetFactory(product=product, url="https://intranet.example.com/card")
    response = client.get(f"/assets/{asset.id}/file/")
    assert response.status_code == 302 and response["Location"] == "https://intranet.example.com/card"


def test_a_file_gone_from_storage_is_a_404(client, product, marketer, media):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    (media / asset.file.name).unlink()
    assert client.get(f"/assets/{asset.id}/file/").status_code == 404


# --- events -------------------------------------------------------------------------------------------


def test_events_list_upcoming_first_and_folds_the_past(client, portfolio, product, marketer):
    MarketingEventFactory(portfolio=portfolio, name="Later expo", start_date=days(60), end_date=days(62))
    MarketingEventFactory(portfolio=portfolio, name="Next webinar", start_date=days(5), end_date=days(5))
    MarketingEventFactory(portfolio=portfolio, name="Running now", start_date=days(-1), end_date=days(1))
    MarketingEventFactory(portfolio=portfolio, name="Old fair", start_date=days(-90), end_date=days(-88))
    MarketingEventFactory(portfolio=portfolio, name="Last meetup", start_date=days(-10), end_date=days(-10))
    page = text(client.get(f"/portfolios/{portfolio.id}/events/"))
    upcoming, past = page.split('class="card past-events"')
    assert [m for m in re.findall(r'class="event-name">([^<]+)<', upcoming)] == [
        "Running now",
        "Next webinar",
        "Later expo",
    ]
    assert re.findall(r'class="event-name">([^<]+)<', past) == ["Last meetup", "Old fair"]
    assert '<details class="card past-events">' in page  # folded


def test_events_show_cost_leads_and_cost_per_lead_with_totals(client, portfolio, product, marketer):
    MarketingEventFactory(portfolio=portfolio, name="Expo", cost=Decimal("12000"), leads=80, start_date=days(3))
    MarketingEventFactory(portfolio=portfolio, name="Webinar", cost=Decimal("500"), leads=None, start_date=days(4))
    page = text(client.get(f"/portfolios/{portfolio.id}/events/"))
    assert ">12,000<" in page and ">80<" in page and ">150<" in page  # 12,000 ÷ 80
    totals = page.split('class="event-totals"')[1].split("</dl>")[0]
    assert "12,500" in totals and "<dd>80</dd>" in totals and "<dd>150</dd>" in totals


def test_events_filter_by_product_kind_and_year(client, portfolio, product, marketer):
    wanted = MarketingEventFactory(
        portfolio=portfolio,
        name="Wanted",
        kind="conference",
        start_date=datetime.date(2025, 3, 1),
        end_date=datetime.date(2025, 3, 2),
    )
    wanted.products.add(product)
    MarketingEventFactory(portfolio=portfolio, name="Other kind", kind="meetup", start_date=datetime.date(2025, 3, 1))
    MarketingEventFactory(portfolio=portfolio, name="Other year", kind="conference").products.add(product)
    page = text(client.get(f"/portfolios/{portfolio.id}/events/?product={product.id}&kind=conference&year=2025"))
    assert "Wanted" in page and "Other kind" not in page and "Other year" not in page
    assert '<details class="card past-events" open>' in page  # a past year shows its events


def test_the_events_csv_holds_every_filtered_event_with_cost_per_lead(client, portfolio, product, marketer):
    expo = MarketingEventFactory(
        portfolio=portfolio, name="Expo", cost=Decimal("1000"), leads=3, start_date=datetime.date(2026, 5, 4)
    )
    expo.products.add(product, ProductFactory(portfolio=portfolio, name="Atlas"))
    MarketingEventFactory(portfolio=portfolio, name="Meetup", kind="meetup", start_date=datetime.date(2026, 6, 1))
    response = client.get(f"/portfolios/{portfolio.id}/events/?kind=trade_show&format=csv")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "start_date,end_date,name,kind,location,products,cost,leads,cost_per_lead"
    assert lines[1:] == ["2026-05-04,2026-05-06,Expo,Trade show,Berlin,Atlas; Nebula,1000,3,333.33"]


def test_the_press_csv_lists_the_plan_by_date(client, portfolio, product, marketer):
    PressItemFactory(product=product, title="=cmd()", publish_date=datetime.date(2026, 6, 21), channel="Wire")
    PressItemFactory(product=product, title="Undated", publish_date=None)
    lines = client.get(f"/portfolios/{portfolio.id}/press/?format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0] == "publish_date,title,kind,status,product,launch_plan,channel,owner,description"
    assert lines[1].startswith("2026-06-21,'=cmd(),Press release,Draft,Nebula,,Wire")
    assert lines[2].startswith(",Undated,")


def test_the_event_form_offers_products_as_checkboxes(client, portfolio, product, marketer):
    page = text(client.get(f"/portfolios/{portfolio.id}/events/new/?product={product.id}"))
    assert f'type="checkbox" name="products" value="{product.id}"' in page
    assert re.search(rf'value="{product.id}"[^>]*checked', page)


def test_adding_an_event_from_the_form(client, portfolio, product, marketer):
    body = {
        "name": "Gravity expo",
        "kind": "trade_show",
        "start_date": "2027-05-04",
        "end_date": "",
        "products": [product.id],
        "cost": "8,000",
        "leads": "",
    }
    assert client.post(f"/portfolios/{portfolio.id}/events/new/", body).status_code == 302
    event = MarketingEvent.objects.get()
    assert event.end_date == datetime.date(2027, 5, 4) and event.cost == Decimal("8000")
    assert list(event.products.all()) == [product]


def test_an_event_ending_before_it_starts_is_a_form_error(client, portfolio, marketer):
    body = {"name": "X", "kind": "meetup", "start_date": "2027-05-04", "end_date": "2027-05-01"}
    response = client.post(f"/portfolios/{portfolio.id}/events/new/", body)
    assert response.status_code == 400 and "On or after the start date" in text(response)
    assert not MarketingEvent.objects.exists()


@pytest.mark.parametrize("field, value", [("cost", "-5"), ("leads", "-1"), ("cost", "1e9999999")])
def test_negative_cost_or_leads_are_form_errors(client, portfolio, marketer, field, value):
    body = {"name": "X", "kind": "meetup", "start_date": "2027-05-04", field: value}
    assert client.post(f"/portfolios/{portfolio.id}/events/new/", body).status_code == 400
    assert not MarketingEvent.objects.exists()


def test_a_product_of_another_portfolio_is_refused_by_the_form(client, portfolio, marketer):
    foreign = ProductFactory(name="Foreign")
    body = {"name": "X", "kind": "meetup", "start_date": "2027-05-04", "products": [foreign.id]}
    response = client.post(f"/portfolios/{portfolio.id}/events/new/", body)
    assert response.status_code == 400 and not MarketingEvent.objects.exists()
    assert "Foreign" not in text(response)


def test_the_event_delete_page_and_delete(client, portfolio, marketer):
    event = MarketingEventFactory(portfolio=portfolio, name="Gravity expo", leads=12)
    assert "Its 12 leads" in text(client.get(f"/events/{event.id}/delete/"))
    assert client.post(f"/events/{event.id}/delete/").status_code == 302
    assert not MarketingEvent.objects.exists()


def test_a_viewer_sees_no_event_buttons(client, portfolio):
    event = MarketingEventFactory(portfolio=portfolio, start_date=days(3))
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/events/"))
    assert f"/events/{event.id}/edit/" not in page and "/events/new/" not in page


# --- the press plan -----------------------------------------------------------------------------------


def test_the_press_plan_groups_by_month_undated_last_and_folds_earlier_months(client, portfolio, product, marketer):
    today = berlin_today()
    first = today.replace(day=1)
    PressItemFactory(product=product, title="Launch release", publish_date=first + datetime.timedelta(days=40))
    PressItemFactory(product=product, title="Teaser post", publish_date=first + datetime.timedelta(days=2))
    PressItemFactory(product=product, title="Someday interview", publish_date=None)
    PressItemFactory(product=product, title="Old newsletter", publish_date=first - datetime.timedelta(days=20))
    page = text(client.get(f"/portfolios/{portfolio.id}/press/"))
    ahead, earlier = page.split('class="card earlier-press"')
    assert re.findall(r'class="press-title">([^<]+)<', ahead) == ["Teaser post", "Launch release", "Someday interview"]
    assert "Not dated yet" in ahead and "Old newsletter" in earlier
    assert '<details class="card earlier-press">' in page


def test_the_press_plan_shows_status_channel_owner_and_marks_a_late_item(client, portfolio, product, marketer):
    owner = member(portfolio, Role.MARKETER)
    PressItemFactory(
        product=product,
        title="Late release",
        status="scheduled",
        channel="Business Wire",
        owner=owner,
        publish_date=berlin_today(),
    )
    PressItemFactory(product=product, title="Overdue", status="draft", publish_date=days(-1))
    page = text(client.get(f"/portfolios/{portfolio.id}/press/"))
    assert "Business Wire" in page and f"Owner: {owner.username}" in page and ">Scheduled<" in page
    overdue = page.split('class="press-title">Overdue<')[1].split("</li>")[0]
    assert "past date" in overdue


def test_the_press_plan_filters_by_product_plan_status_and_kind(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product)
    PressItemFactory(product=product, launch_plan=plan, status="scheduled", kind="blog_post", title="Wanted")
    PressItemFactory(product=product, launch_plan=plan, status="draft", kind="blog_post", title="Draft one")
    PressItemFactory(product=product, status="scheduled", kind="blog_post", title="No plan")
    PressItemFactory(product=ProductFactory(portfolio=portfolio), status="scheduled", kind="blog_post", title="Other")
    query = f"?product={product.id}&launch_plan={plan.id}&status=scheduled&kind=blog_post"
    page = text(client.get(f"/portfolios/{portfolio.id}/press/{query}"))
    assert "Wanted" in page and not any(t in page for t in ("Draft one", "No plan", ">Other<"))


def test_the_press_form_offers_members_only_as_owners(client, portfolio, product, marketer):
    stranger = member(PortfolioFactory(), Role.ADMIN)
    page = text(client.get(f"/press/new/?product={product.id}"))
    assert marketer.username in page and stranger.username not in page


def test_a_scheduled_item_without_a_date_is_a_form_error(client, product, marketer):
    response = client.post(
        f"/press/new/?product={product.id}", {"title": "X", "kind": "briefing", "status": "scheduled"}
    )
    assert response.status_code == 400 and "A scheduled item has a publish date" in text(response)
    assert not PressItem.objects.exists()


def test_planning_and_editing_a_press_item(client, product, marketer):
    body = {"title": "Solstice", "kind": "press_release", "status": "draft", "channel": "Wire", "owner": marketer.id}
    assert client.post(f"/press/new/?product={product.id}", body).status_code == 302
    item = PressItem.objects.get()
    assert item.owner == marketer
    body |= {"status": "scheduled", "publish_date": "2027-06-21"}
    assert client.post(f"/press/{item.id}/edit/", body).status_code == 302
    item.refresh_from_db()
    assert item.status == "scheduled" and item.publish_date == datetime.date(2027, 6, 21)


def test_a_press_item_of_another_portfolio_is_a_404_on_its_pages(client, product):
    item = PressItemFactory(product=product)
    as_role(client, PortfolioFactory(), Role.ADMIN)
    assert client.get(f"/press/{item.id}/edit/").status_code == 404
    assert client.post(f"/press/{item.id}/delete/").status_code == 404
    assert PressItem.objects.filter(pk=item.pk).exists()


# --- the cost of a list -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    owner = member(portfolio, Role.MARKETER)
    today = berlin_today()
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        plan = LaunchPlanFactory(product=product)
        AssetFactory(product=product, launch_plan=plan)
        services.asset_create(product=product, title="Deck", file=upload(), launch_plan=plan, url="https://x.test")
        for offset in (-40, 20):
            event = MarketingEventFactory(portfolio=portfolio, leads=10, start_date=today + datetime.timedelta(offset))
            event.products.add(product)
            PressItemFactory(
                product=product, launch_plan=plan, owner=owner, publish_date=today + datetime.timedelta(offset)
            )
        PressItemFactory(product=product, publish_date=None)


def _queries(client, url) -> int:
    client.get(url)  # the first visit remembers the portfolio in the session: not the page's own cost
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
@pytest.mark.parametrize("page", ["assets", "events", "press", "events/?format=csv", "press/?format=csv"])
def test_list_pages_cost_the_same_at_ten_times_the_data(client, role, page):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        as_role(client, portfolio, role)
        _fill(portfolio, n)
        url = f"/portfolios/{portfolio.id}/{page}"
        counts.append(_queries(client, url if "?" in page else f"{url}/"))
    assert counts[0] == counts[1], counts
