"""gtm.services.enablement: assets (a link or a file, the size limit, stored files), events and press items."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gtm.models import Asset, MarketingEvent, PressItem
from gtm.services import enablement as services
from pmflow.errors import InvalidInput, NotFound
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


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(name="Acme"), name="Nebula")


def upload(name="deck.pdf", content=b"%PDF-1.4 deck"):
    return SimpleUploadedFile(name, content, "application/pdf")


def stored_files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []


def refused(call, **kwargs) -> dict:
    with pytest.raises(InvalidInput) as caught:
        call(**kwargs)
    return caught.value.fields


# --- assets: a link or a file -------------------------------------------------------------------------


def test_an_asset_with_a_link_is_created_with_an_event(product):
    asset = services.asset_create(product=product, title="Battle card", kind="battle_card", url="https://x.test/bc")
    assert asset.url == "https://x.test/bc" and not asset.file
    event = DomainEvent.objects.get(verb="asset.created")
    assert event.object_id == asset.id and event.changes["title"] == [None, "Battle card"]


def test_an_asset_without_a_link_or_a_file_is_refused_on_url(product):
    fields = refused(services.asset_create, product=product, title="Nothing", url="  ")
    assert "link" in fields["url"] and Asset.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://files.example.com/deck.pdf",
        "//example.com/deck",
        "intranet/deck",
        "https://exa mple.com/",
    ],
)
def test_a_link_that_is_not_http_or_https_is_refused(product, url):
    fields = refused(services.asset_create, product=product, title="Bad", url=url)
    assert "http://" in fields["url"] and Asset.objects.count() == 0


def test_an_asset_with_a_file_stores_it_under_its_product_with_its_size(product, media):
    asset = services.asset_create(product=product, title="Deck", file=upload("Q3 deck.pdf", b"12345"))
    assert asset.file.name.startswith(f"assets/{product.id}/") and asset.file.name.endswith("/Q3_deck.pdf")
    assert asset.file_size == 5 and services.file_name(asset) == "Q3_deck.pdf"
    assert (media / asset.file.name).read_bytes() == b"12345"


def test_a_file_one_byte_over_the_limit_is_refused_and_nothing_is_stored(product, media, settings):
    settings.ASSET_MAX_BYTES = 100
    fields = refused(services.asset_create, product=product, title="Big", file=upload(content=b"x" * 101))
    assert "100 bytes" in fields["file"]
    assert Asset.objects.count() == 0 and stored_files(media) == []


def test_a_file_at_the_limit_is_accepted(product, settings):
    settings.ASSET_MAX_BYTES = 100
    asset = services.asset_create(product=product, title="Exact", file=upload(content=b"x" * 100))
    assert asset.file_size == 100


def test_the_size_is_judged_from_the_upload_before_reading_it(product, settings):
    settings.ASSET_MAX_BYTES = 100

    class Unread(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("read before the size was judged")

        def chunks(self, *args):
            raise AssertionError("read before the size was judged")

    big = Unread("big.pdf", b"x" * 101)
    assert "file" in refused(services.asset_create, product=product, title="Big", file=big)


def test_an_empty_file_is_refused(product):
    assert "empty" in refused(services.asset_create, product=product, title="Empty", file=upload(content=b""))["file"]


@pytest.mark.parametrize(
    "given, kept",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\deck final.pdf", "deck_final.pdf"),
        (".htaccess", "htaccess"),
        ("<script>.html", "script.html"),
        ("ré sumé.pdf", "ré_sumé.pdf"),
        ("a\x00b\x1f.pdf", "ab.pdf"),
        ("...", "file"),
        ("x" * 300 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_file_names_are_sanitised(given, kept):
    assert services.clean_filename(given) == kept


def test_an_uploaded_name_cannot_leave_the_product_folder(product, media):
    asset = services.asset_create(product=product, title="Sneaky", file=upload("../../../outside.pdf"))
    assert asset.file.name.startswith(f"assets/{product.id}/")
    assert stored_files(media) == [asset.file.name]


def test_two_files_with_one_name_keep_that_name(product):
    first = services.asset_create(product=product, title="One", file=upload("deck.pdf"))
    second = services.asset_create(product=product, title="Two", file=upload("deck.pdf"))
    assert first.file.name != second.file.name
    assert services.file_name(first) == services.file_name(second) == "deck.pdf"


def test_a_launch_plan_of_another_product_is_refused(product):
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=product.portfolio))
    fields = refused(services.asset_create, product=product, title="X", url="https://x.test", launch_plan=plan)
    assert "same product" in fields["launch_plan"]


def test_replacing_the_file_removes_the_old_one_after_commit(product, media, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload(content=b"v1"), version="1")
    old = asset.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.asset_update(asset_id=asset.id, file=upload(content=b"version two"))
    assert (media / old).exists(), "removed before the commit"
    for callback in callbacks:
        callback()
    asset.refresh_from_db()
    assert not (media / old).exists() and asset.file_size == 11
    assert stored_files(media) == [asset.file.name]


def test_a_new_file_does_not_change_the_version(product, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload(), version="2.1")
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_update(asset_id=asset.id, file=upload(content=b"new"))
    asset.refresh_from_db()
    assert asset.version == "2.1"
    event = DomainEvent.objects.get(verb="asset.updated")
    assert event.changes["file_size"] == [len(b"%PDF-1.4 deck"), 3] and "version" not in event.changes


def test_removing_the_file_of_an_asset_with_a_link_keeps_the_link(product, media, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload(), url="https://x.test/deck")
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_update(asset_id=asset.id, file=None)
    asset.refresh_from_db()
    assert not asset.file and asset.file_size is None and asset.url == "https://x.test/deck"
    assert stored_files(media) == []


def test_removing_the_only_file_is_refused_and_keeps_it(product, media):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    fields = refused(services.asset_update, asset_id=asset.id, file=None)
    assert "link" in fields["file"]
    asset.refresh_from_db()
    assert asset.file and (media / asset.file.name).exists()


def test_clearing_the_only_link_is_refused(product):
    asset = AssetFactory(product=product, url="https://x.test/a")
    assert "link" in refused(services.asset_update, asset_id=asset.id, url="")["url"]


def test_a_refused_update_with_a_file_stores_nothing(product, media, settings):
    asset = AssetFactory(product=product, url="https://x.test/a")
    refused(services.asset_update, asset_id=asset.id, title="", file=upload())
    assert stored_files(media) == []


def test_a_write_that_fails_after_storing_removes_the_new_file(product, media, monkeypatch):
    asset = AssetFactory(product=product, url="https://x.test/a")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.events, "record", broken)
    with pytest.raises(RuntimeError):
        services.asset_update(asset_id=asset.id, file=upload())
    assert stored_files(media) == []


def test_deleting_an_asset_deletes_its_file_after_commit(product, media, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload())
    path = media / asset.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.asset_delete(asset_id=asset.id) == "Deck"
    assert path.exists()
    for callback in callbacks:
        callback()
    assert not path.exists() and not path.parent.exists()
    assert DomainEvent.objects.filter(verb="asset.deleted", object_id=asset.id).exists()


def test_an_asset_update_records_only_what_changed(product):
    asset = AssetFactory(product=product, title="Card", url="https://x.test/a")
    services.asset_update(asset_id=asset.id, title="Card", version="2")
    event = DomainEvent.objects.get(verb="asset.updated")
    assert event.changes == {"version": ["1", "2"]}


def test_an_unchanged_asset_update_records_nothing(product):
    asset = AssetFactory(product=product, title="Card", url="https://x.test/a")
    services.asset_update(asset_id=asset.id, title="Card")
    assert not DomainEvent.objects.filter(verb="asset.updated").exists()


def test_a_missing_asset_is_not_found():
    with pytest.raises(NotFound):
        services.asset_update(asset_id=10**9, title="x")


@pytest.mark.parametrize(
    "size, text", [(0, "0 bytes"), (1, "1 byte"), (812, "812 bytes"), (98_304, "96 KB"), (2_516_582, "2.4 MB")]
)
def test_sizes_read_as_people_read_them(size, text):
    assert services.size_text(size) == text


# --- events -------------------------------------------------------------------------------------------


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def test_an_event_is_created_with_its_products_and_an_event(product):
    event = services.marketing_event_create(
        portfolio=product.portfolio, name="Gravity expo", start_date=day("2026-05-04"),
        end_date=day("2026-05-06"), cost="12000.50", leads=80, products=[product],
    )  # fmt: skip
    assert list(event.products.all()) == [product] and event.cost == Decimal("12000.50")
    recorded = DomainEvent.objects.get(verb="event.created")
    assert recorded.object_type == "marketing_event" and recorded.changes["products"] == [None, [product.id]]


def test_an_event_without_an_end_lasts_one_day(product):
    event = services.marketing_event_create(portfolio=product.portfolio, name="Meetup", start_date=day("2026-05-04"))
    assert event.end_date == event.start_date


def test_an_event_ending_before_it_starts_is_refused(product):
    fields = refused(
        services.marketing_event_create, portfolio=product.portfolio, name="Backwards",
        start_date=day("2026-05-04"), end_date=day("2026-05-03"),
    )  # fmt: skip
    assert "start date" in fields["end_date"] and MarketingEvent.objects.count() == 0


def test_an_update_judges_the_end_against_the_start_it_keeps(product):
    event = MarketingEventFactory(portfolio=product.portfolio, start_date=day("2026-05-04"), end_date=day("2026-05-06"))
    assert "end_date" in refused(services.marketing_event_update, event_id=event.id, end_date=day("2026-05-01"))


@pytest.mark.parametrize(
    "field, value",
    [("cost", "-1"), ("cost", "1.005"), ("cost", "NaN"), ("leads", -1), ("leads", 2**31), ("leads", True)],
)
def test_negative_or_absurd_cost_and_leads_are_refused(product, field, value):
    fields = refused(
        services.marketing_event_create, portfolio=product.portfolio, name="X", start_date=day("2026-05-04"),
        **{field: value},
    )  # fmt: skip
    assert field in fields and MarketingEvent.objects.count() == 0


@pytest.mark.parametrize("text", ["1899-12-31", "2201-01-01"])
def test_event_dates_outside_1900_to_2200_are_refused(product, text):
    fields = refused(services.marketing_event_create, portfolio=product.portfolio, name="X", start_date=day(text))
    assert "1900" in fields["start_date"]


def test_products_of_another_portfolio_are_refused(product):
    foreign = ProductFactory(name="Elsewhere")
    fields = refused(
        services.marketing_event_create, portfolio=product.portfolio, name="X", start_date=day("2026-05-04"),
        products=[product, foreign],
    )  # fmt: skip
    assert "this portfolio" in fields["products"] and MarketingEvent.objects.count() == 0


def test_changing_the_products_records_old_and_new_ids(product):
    other = ProductFactory(portfolio=product.portfolio)
    event = MarketingEventFactory(portfolio=product.portfolio)
    event.products.add(product)
    services.marketing_event_update(event_id=event.id, products=[other, product])
    recorded = DomainEvent.objects.get(verb="event.updated")
    assert recorded.changes == {"products": [[product.id], sorted([product.id, other.id])]}


def test_deleting_an_event_records_it(product):
    event = MarketingEventFactory(portfolio=product.portfolio, name="Gravity expo")
    assert services.marketing_event_delete(event_id=event.id) == "Gravity expo"
    assert not MarketingEvent.objects.exists() and DomainEvent.objects.filter(verb="event.deleted").exists()


def test_cost_per_lead_is_to_the_cent_and_none_without_leads():
    assert services.cost_per_lead(MarketingEvent(cost=Decimal("1000"), leads=3)) == Decimal("333.33")
    assert services.cost_per_lead(MarketingEvent(cost=Decimal("1000"), leads=0)) is None
    assert services.cost_per_lead(MarketingEvent(cost=Decimal("1000"), leads=None)) is None


# --- press items --------------------------------------------------------------------------------------


def test_a_press_item_is_created_with_an_event(product):
    owner = member(product.portfolio, Role.MARKETER)
    item = services.press_item_create(
        product=product, title="Solstice announcement", kind="press_release", status="scheduled",
        publish_date=day("2026-06-21"), owner=owner, channel="Business Wire",
    )  # fmt: skip
    assert item.owner == owner
    assert DomainEvent.objects.get(verb="press_item.created").changes["status"] == [None, "scheduled"]


def test_an_owner_who_is_not_a_member_is_refused(product):
    outsider = member(PortfolioFactory(), Role.ADMIN)
    fields = refused(services.press_item_create, product=product, title="X", owner=outsider)
    assert "not a member" in fields["owner"] and PressItem.objects.count() == 0


def test_a_press_launch_plan_of_another_product_is_refused(product):
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=product.portfolio))
    assert "launch_plan" in refused(services.press_item_create, product=product, title="X", launch_plan=plan)


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31"])
def test_press_dates_outside_1900_to_2200_are_refused(product, text):
    fields = refused(services.press_item_create, product=product, title="X", publish_date=day(text))
    assert "1900" in fields["publish_date"]


@pytest.mark.parametrize("status", ["scheduled", "published"])
def test_a_scheduled_or_published_item_needs_a_date(product, status):
    assert (
        "publish date" in refused(services.press_item_create, product=product, title="X", status=status)["publish_date"]
    )


def test_clearing_the_date_of_a_scheduled_item_is_refused(product):
    item = PressItemFactory(product=product, status="scheduled")
    assert "publish_date" in refused(services.press_item_update, item_id=item.id, publish_date=None)


def test_a_press_update_records_the_change(product):
    item = PressItemFactory(product=product, status="draft")
    services.press_item_update(item_id=item.id, status="scheduled")
    assert DomainEvent.objects.get(verb="press_item.updated").changes == {"status": ["draft", "scheduled"]}


def test_deleting_a_press_item_records_it(product):
    item = PressItemFactory(product=product, title="Solstice announcement")
    assert services.press_item_delete(item_id=item.id) == "Solstice announcement"
    assert DomainEvent.objects.filter(verb="press_item.deleted", object_id=item.id).exists()


def test_a_deleted_products_asset_files_leave_storage_after_commit(product, media, django_capture_on_commit_callbacks):
    asset = services.asset_create(product=product, title="Deck", file=upload(content=b"deck"))
    stored = asset.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        product.delete()  # a cascade: no asset service runs
    assert (media / stored).exists(), "removed before the commit"
    for callback in callbacks:
        callback()
    assert not (media / stored).exists()
    assert stored_files(media) == []
