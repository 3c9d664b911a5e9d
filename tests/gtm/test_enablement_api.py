"""The API of assets, events and press items: uploads and their limit, links, rules as 400s on the field,
roles, filters, conditional writes and the cost of a list."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from gtm.models import Asset, MarketingEvent, PressItem
from gtm.services import enablement as services
from products.models import DomainEvent, Role
from tests.factories import (
    AssetFactory,
    LaunchPlanFactory,
    MarketingEventFactory,
    MembershipFactory,
    PortfolioFactory,
    PressItemFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

ASSETS, EVENTS, PRESS = "/api/v1/assets/", "/api/v1/events/", "/api/v1/press-items/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role) -> tuple[APIClient, object]:
    user = member(portfolio, role)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def marketer(portfolio):
    return client_for(portfolio, Role.MARKETER)[0]


def upload(name="deck.pdf", content=b"%PDF-1.4 deck"):
    return SimpleUploadedFile(name, content, "application/pdf")


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- assets -------------------------------------------------------------------------------------------


def test_an_asset_with_a_link_is_created_from_json(marketer, product):
    response = marketer.post(ASSETS, {"product": product.id, "title": "Battle card", "url": "https://x.test/bc"})
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["url"] == "https://x.test/bc" and body["file"] is None and body["file_name"] is None
    assert body["kind"] == "other" and body["audience"] == "sales" and body["version"] == "1"


def test_an_uploaded_asset_gives_its_download_address_name_and_size(marketer, product, media):
    response = marketer.post(
        ASSETS,
        {"product": product.id, "title": "Deck", "kind": "pitch_deck", "file": upload("Q3 deck.pdf", b"12345")},
        format="multipart",
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["file"] == f"http://testserver/assets/{body['id']}/file/"
    assert body["file_name"] == "Q3_deck.pdf" and body["file_size"] == 5 and body["url"] == ""
    assert len(stored_files(media)) == 1


def test_an_asset_with_neither_link_nor_file_is_a_400_on_url(marketer, product):
    response = marketer.post(ASSETS, {"product": product.id, "title": "Nothing"})
    assert response.status_code == 400 and "link" in response.json()["url"][0]
    assert not Asset.objects.exists() and not DomainEvent.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "ftp://x.test/a"])
def test_a_link_of_another_scheme_is_a_400(marketer, product, url):
    response = marketer.post(ASSETS, {"product": product.id, "title": "Bad", "url": url})
    assert response.status_code == 400 and "http://" in response.json()["url"][0]
    assert not Asset.objects.exists()


def test_a_file_one_byte_over_the_limit_is_a_400_naming_the_limit_and_stores_nothing(
    marketer, product, media, settings
):
    settings.ASSET_MAX_BYTES = 100
    response = marketer.post(
        ASSETS, {"product": product.id, "title": "Big", "file": upload(content=b"x" * 101)}, format="multipart"
    )
    assert response.status_code == 400
    assert "100 bytes" in response.json()["file"][0]
    assert not Asset.objects.exists() and stored_files(media) == [] and not DomainEvent.objects.exists()


def test_a_body_too_large_for_any_acceptable_file_is_refused_before_it_is_read(
    marketer, product, media, settings, monkeypatch
):
    settings.ASSET_MAX_BYTES = 100
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    def never(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr("rest_framework.parsers.MultiPartParser.parse", never)
    response = marketer.post(
        ASSETS, {"product": product.id, "title": "Big", "file": upload(content=b"x" * 2000)}, format="multipart"
    )
    assert response.status_code == 400 and "100 bytes" in response.json()["file"][0]
    assert stored_files(media) == []


def test_a_reader_with_a_large_body_is_refused_for_the_role_first(portfolio, product, settings):
    settings.ASSET_MAX_BYTES = 100
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    viewer, _ = client_for(portfolio, Role.VIEWER)
    response = viewer.post(
        ASSETS, {"product": product.id, "title": "Big", "file": upload(content=b"x" * 2000)}, format="multipart"
    )
    assert response.status_code == 403


def test_a_25_mb_file_is_accepted_while_json_bodies_keep_their_limit(marketer, product, settings):
    assert settings.ASSET_MAX_BYTES == 25 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.ASSET_MAX_BYTES
    big = upload("training.mp4", b"\0" * settings.ASSET_MAX_BYTES)
    response = marketer.post(ASSETS, {"product": product.id, "title": "Training", "file": big}, format="multipart")
    assert response.status_code == 201 and response.json()["file_size"] == settings.ASSET_MAX_BYTES
    blob = json.dumps({"product": product.id, "title": "x", "url": "https://x.test", "description": "y" * 9_000_000})
    response = marketer.post(ASSETS, blob, content_type="application/json")
    assert response.status_code == 413


def test_replacing_the_file_keeps_the_version_and_removes_the_old_file(
    marketer, product, media, django_capture_on_commit_callbacks
):
    asset = services.asset_create(product=product, title="Deck", file=upload(content=b"v1"), version="3")
    old = media / asset.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.patch(f"{ASSETS}{asset.id}/", {"file": upload(content=b"v2 longer")}, format="multipart")
    assert response.status_code == 200, response.data
    assert response.json()["version"] == "3" and response.json()["file_size"] == 9
    assert not old.exists() and len(stored_files(media)) == 1


def test_a_null_file_removes_it_when_the_asset_has_a_link(marketer, product, media, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload(), url="https://x.test/deck")
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.patch(f"{ASSETS}{asset.id}/", {"file": None})
    assert response.status_code == 200 and response.json()["file"] is None
    assert stored_files(media) == []


def test_in_a_form_body_the_text_null_is_a_null(marketer, product, media, django_capture_on_commit_callbacks):
    plan = LaunchPlanFactory(product=product)
    asset = services.asset_create(
        product=product, title="Deck", file=upload(), url="https://x.test/deck", launch_plan=plan
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.patch(f"{ASSETS}{asset.id}/", {"launch_plan": "null", "file": "null"}, format="multipart")
    assert response.status_code == 200, response.data
    assert response.json()["launch_plan"] is None and response.json()["file"] is None
    assert stored_files(media) == []


def test_an_empty_form_value_as_the_file_is_a_400_and_keeps_it(marketer, product, media):
    asset = services.asset_create(product=product, title="Deck", file=upload(), url="https://x.test/deck")
    response = marketer.patch(f"{ASSETS}{asset.id}/", {"file": ""}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert len(stored_files(media)) == 1


def test_a_multipart_body_without_parts_is_a_400(marketer, product):
    asset = AssetFactory(product=product)
    boundary = "b0undary"
    response = marketer.generic(
        "PATCH",
        f"{ASSETS}{asset.id}/",
        f"--{boundary}\r\n[]--{boundary}--\r\n",
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400 and "no parts" in response.json()["detail"]


def test_a_text_as_the_file_is_a_400(marketer, product):
    asset = AssetFactory(product=product)
    response = marketer.patch(f"{ASSETS}{asset.id}/", {"file": "deck.pdf"})
    assert response.status_code == 400 and "file" in response.json()


def test_deleting_an_asset_removes_its_file(marketer, product, media, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    with django_capture_on_commit_callbacks(execute=True):
        assert marketer.delete(f"{ASSETS}{asset.id}/").status_code == 204
    assert stored_files(media) == [] and not Asset.objects.exists()


def test_an_asset_cannot_move_to_another_product(marketer, product):
    asset = AssetFactory(product=product)
    other = ProductFactory(portfolio=product.portfolio)
    response = marketer.patch(f"{ASSETS}{asset.id}/", {"product": other.id})
    assert response.status_code == 400 and "product" in response.json()


def test_a_launch_plan_of_another_product_is_a_400(marketer, product):
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=product.portfolio))
    response = marketer.post(
        ASSETS, {"product": product.id, "title": "X", "url": "https://x.test", "launch_plan": plan.id}
    )
    assert response.status_code == 400 and "same product" in response.json()["launch_plan"][0]


def test_a_launch_plan_of_another_portfolio_is_a_400_that_names_nothing(marketer, product):
    plan = LaunchPlanFactory(name="Secret launch")
    response = marketer.post(
        ASSETS, {"product": product.id, "title": "X", "url": "https://x.test", "launch_plan": plan.id}
    )
    assert response.status_code == 400 and "launch_plan" in response.json()
    assert "Secret launch" not in response.content.decode()


@pytest.mark.parametrize("role, status", [("admin", 201), ("product_manager", 201), ("marketer", 201), ("viewer", 403)])
def test_writing_assets_by_role(portfolio, product, role, status):
    client, _ = client_for(portfolio, role)
    response = client.post(ASSETS, {"product": product.id, "title": "Card", "url": "https://x.test"})
    assert response.status_code == status


def test_another_portfolios_asset_is_a_404_on_every_verb(product):
    asset = AssetFactory(product=product)
    outsider, _ = client_for(PortfolioFactory(), Role.ADMIN)
    assert outsider.get(f"{ASSETS}{asset.id}/").status_code == 404
    assert outsider.patch(f"{ASSETS}{asset.id}/", {"title": "Mine"}).status_code == 404
    assert outsider.delete(f"{ASSETS}{asset.id}/").status_code == 404
    assert outsider.get(ASSETS).json()["count"] == 0


def test_a_stale_if_match_is_a_412_and_writes_nothing(marketer, product):
    asset = AssetFactory(product=product, title="Card")
    etag = marketer.get(f"{ASSETS}{asset.id}/")["ETag"]
    assert marketer.patch(f"{ASSETS}{asset.id}/", {"title": "Card 2"}, HTTP_IF_MATCH=etag).status_code == 200
    response = marketer.patch(f"{ASSETS}{asset.id}/", {"title": "Card 3"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    asset.refresh_from_db()
    assert asset.title == "Card 2"


@pytest.mark.parametrize(
    "url, change",
    [("events", {"leads": 5}), ("press-items", {"channel": "Wire"})],
)
def test_a_stale_if_match_on_events_and_press_is_a_412(marketer, product, url, change):
    row = MarketingEventFactory(portfolio=product.portfolio) if url == "events" else PressItemFactory(product=product)
    address = f"/api/v1/{url}/{row.id}/"
    etag = marketer.get(address)["ETag"]
    assert marketer.patch(address, change, HTTP_IF_MATCH=etag).status_code == 200
    events_before = DomainEvent.objects.count()
    assert marketer.patch(address, {"description": "late"}, HTTP_IF_MATCH=etag).status_code == 412
    assert DomainEvent.objects.count() == events_before


def test_assets_filter_by_product_plan_kind_and_audience(marketer, product):
    other = ProductFactory(portfolio=product.portfolio)
    plan = LaunchPlanFactory(product=product)
    wanted = AssetFactory(product=product, launch_plan=plan, kind="faq", audience="support")
    AssetFactory(product=product, kind="faq", audience="sales")
    AssetFactory(product=other, kind="faq", audience="support")
    query = f"?product={product.id}&launch_plan={plan.id}&kind=faq&audience=support&portfolio={product.portfolio_id}"
    ids = [row["id"] for row in marketer.get(ASSETS + query).json()["results"]]
    assert ids == [wanted.id]


def test_assets_search_and_order(marketer, product):
    AssetFactory(product=product, title="Zeta battle card")
    AssetFactory(product=product, title="Alpha battle card")
    AssetFactory(product=product, title="Pricing FAQ")
    titles = [row["title"] for row in marketer.get(f"{ASSETS}?search=battle&ordering=title").json()["results"]]
    assert titles == ["Alpha battle card", "Zeta battle card"]


@pytest.mark.parametrize("query", ["kind=poster", "audience=press", "product=abc", "product="])
def test_a_bad_asset_filter_is_a_400(marketer, query):
    assert marketer.get(f"{ASSETS}?{query}").status_code == 400


def test_the_file_address_downloads_with_an_api_token(portfolio, product):
    asset = services.asset_create(product=product, title="Deck", file=upload(content=b"deck bytes"))
    _, user = client_for(portfolio, Role.VIEWER)
    _, token = AuthToken.objects.create(user)
    client = APIClient()
    url = client_for(portfolio, Role.VIEWER)[0].get(f"{ASSETS}{asset.id}/").json()["file"]
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"deck bytes"
    assert client.get(url, HTTP_AUTHORIZATION="Token wrong").status_code == 401


# --- events -------------------------------------------------------------------------------------------


def event_body(portfolio, **extra):
    return {"portfolio": portfolio.id, "name": "Gravity expo", "start_date": "2026-05-04", **extra}


def test_an_event_is_created_with_products_and_cost_per_lead(marketer, portfolio, product):
    body = event_body(portfolio, end_date="2026-05-06", products=[product.id], cost=1000, leads=3)
    response = marketer.post(EVENTS, body)
    assert response.status_code == 201, response.data
    data = response.json()
    assert data["products"] == [product.id] and data["cost"] == 1000 and data["cost_per_lead"] == 333.33
    assert DomainEvent.objects.filter(verb="event.created", object_id=data["id"]).exists()


def test_an_event_without_an_end_is_one_day(marketer, portfolio):
    assert marketer.post(EVENTS, event_body(portfolio)).json()["end_date"] == "2026-05-04"


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"end_date": "2026-05-01"}, "end_date"),
        ({"cost": -1}, "cost"),
        ({"cost": "1e9999999"}, "cost"),
        ({"leads": -1}, "leads"),
        ({"leads": 1.5}, "leads"),
        ({"start_date": "1800-01-01"}, "start_date"),
        ({"start_date": None}, "start_date"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_event_input_is_a_400_on_its_field(marketer, portfolio, extra, field):
    response = marketer.post(EVENTS, event_body(portfolio, **extra))
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not MarketingEvent.objects.exists()


def test_products_of_another_portfolio_of_mine_are_a_400(portfolio, product):
    client, user = client_for(portfolio, Role.MARKETER)
    mine_too = PortfolioFactory()
    MembershipFactory(portfolio=mine_too, user=user, role=Role.ADMIN)
    elsewhere = ProductFactory(portfolio=mine_too)
    response = client.post(EVENTS, event_body(portfolio, products=[product.id, elsewhere.id]))
    assert response.status_code == 400 and "this portfolio" in response.json()["products"][0]


def test_products_i_cannot_see_are_a_400_that_names_nothing(marketer, portfolio):
    hidden = ProductFactory(name="Hidden product")
    response = marketer.post(EVENTS, event_body(portfolio, products=[hidden.id]))
    assert response.status_code == 400 and "products" in response.json()
    assert "Hidden product" not in response.content.decode()


def test_an_update_checks_the_end_against_the_kept_start(marketer, portfolio):
    event = MarketingEventFactory(
        portfolio=portfolio, start_date=datetime.date(2026, 5, 4), end_date=datetime.date(2026, 5, 5)
    )
    response = marketer.patch(f"{EVENTS}{event.id}/", {"end_date": "2026-05-01"})
    assert response.status_code == 400 and "end_date" in response.json()


def test_events_filter_by_product_kind_and_dates(marketer, portfolio, product):
    in_may = MarketingEventFactory(
        portfolio=portfolio, kind="webinar", start_date=datetime.date(2026, 5, 4), end_date=datetime.date(2026, 5, 4)
    )
    in_may.products.add(product, ProductFactory(portfolio=portfolio))
    MarketingEventFactory(
        portfolio=portfolio, kind="webinar", start_date=datetime.date(2026, 7, 1), end_date=datetime.date(2026, 7, 2)
    ).products.add(product)
    MarketingEventFactory(
        portfolio=portfolio, kind="meetup", start_date=datetime.date(2026, 5, 4), end_date=datetime.date(2026, 5, 4)
    ).products.add(product)
    query = f"?product={product.id}&kind=webinar&from=2026-05-01&to=2026-05-31&portfolio={portfolio.id}"
    assert [row["id"] for row in marketer.get(EVENTS + query).json()["results"]] == [in_may.id]


def test_a_bad_event_date_filter_is_a_400(marketer):
    assert marketer.get(f"{EVENTS}?from=May").status_code == 400


def test_a_viewer_cannot_write_events(portfolio):
    viewer, _ = client_for(portfolio, Role.VIEWER)
    assert viewer.post(EVENTS, event_body(portfolio)).status_code == 403
    assert not MarketingEvent.objects.exists()


# --- press items --------------------------------------------------------------------------------------


def test_a_press_item_takes_its_owner_by_username(marketer, portfolio, product):
    owner = member(portfolio, Role.MARKETER)
    body = {
        "product": product.id,
        "title": "Solstice announcement",
        "kind": "press_release",
        "status": "scheduled",
        "publish_date": "2026-06-21",
        "owner": owner.username,
        "channel": "Business Wire",
    }
    response = marketer.post(PRESS, body)
    assert response.status_code == 201, response.data
    assert response.json()["owner"] == owner.username


def test_an_owner_who_is_not_a_member_is_a_400(marketer, product):
    stranger = member(PortfolioFactory(), Role.ADMIN)
    response = marketer.post(PRESS, {"product": product.id, "title": "X", "owner": stranger.username})
    assert response.status_code == 400 and "owner" in response.json()


def test_a_scheduled_item_without_a_date_is_a_400(marketer, product):
    response = marketer.post(PRESS, {"product": product.id, "title": "X", "status": "scheduled"})
    assert response.status_code == 400 and "publish_date" in response.json()
    assert not PressItem.objects.exists()


def test_press_items_filter_by_status_kind_plan_and_owner(marketer, portfolio, product):
    owner = member(portfolio, Role.MARKETER)
    plan = LaunchPlanFactory(product=product)
    wanted = PressItemFactory(product=product, launch_plan=plan, status="scheduled", kind="blog_post", owner=owner)
    PressItemFactory(product=product, launch_plan=plan, status="draft", kind="blog_post", owner=owner)
    PressItemFactory(product=product, status="scheduled", kind="press_release")
    query = f"?status=scheduled&kind=blog_post&launch_plan={plan.id}&owner={owner.username}&product={product.id}"
    assert [row["id"] for row in marketer.get(PRESS + query).json()["results"]] == [wanted.id]


def test_press_items_list_by_publish_date_undated_last(marketer, product):
    late = PressItemFactory(product=product, publish_date=datetime.date(2026, 9, 1))
    undated = PressItemFactory(product=product, publish_date=None)
    soon = PressItemFactory(product=product, publish_date=datetime.date(2026, 6, 1))
    assert [row["id"] for row in marketer.get(PRESS).json()["results"]] == [soon.id, late.id, undated.id]


# --- the cost of a list -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    owner = member(portfolio, Role.MARKETER)
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        plan = LaunchPlanFactory(product=product)
        AssetFactory(product=product, launch_plan=plan)
        services.asset_create(product=product, title="Deck", file=upload(), launch_plan=plan)
        event = MarketingEventFactory(portfolio=portfolio, leads=10)
        event.products.add(product, ProductFactory(portfolio=portfolio))
        PressItemFactory(product=product, launch_plan=plan, owner=owner)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
@pytest.mark.parametrize(
    "url", [ASSETS, EVENTS, PRESS, f"{EVENTS}?portfolio={{portfolio}}&kind=trade_show", f"{ASSETS}?search=Deck"]
)
def test_list_queries_do_not_grow_with_the_data(url, role):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client, _ = client_for(portfolio, role)
        _fill(portfolio, n)
        counts.append(_queries(client, url.format(portfolio=portfolio.id)))
    assert counts[0] == counts[1], counts
