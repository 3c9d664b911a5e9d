"""The roadmap's v1 API (API-CONTRACT.md, "Technical"): roadmap-items (and move), releases (and ship),
roadmap-dependencies and scoring-weights: contract fields, filters, CSV, 400s that write nothing, roles,
another portfolio's objects, conditional writes, and a list whose query count does not grow with it."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import DomainEvent, Feedback, Idea
from roadmap import services
from roadmap.models import Release, RoadmapDependency, RoadmapItem, ScoringWeights
from tests.factories import PortfolioFactory, ProductFactory, ReleaseFactory, member

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/roadmap-items/"
RELEASES = "/api/v1/releases/"
DEPENDENCIES = "/api/v1/roadmap-dependencies/"
WEIGHTS = "/api/v1/scoring-weights/"

ITEM_FIELDS = {
    "id", "product", "parent", "kind", "title", "description", "status", "horizon", "rank", "release", "owner",
    "start_date", "end_date", "reach", "impact", "confidence", "effort", "business_value", "time_criticality",
    "risk_reduction", "job_size", "value", "moscow", "regulatory", "regulation", "key_result", "ideas", "feedback",
    "rice_score", "wsjf_score", "value_effort", "weighted_score", "feedback_count", "depends_on",
}  # fmt: skip
RELEASE_FIELDS = {
    "id", "product", "version", "name", "description", "target_date", "status", "shipped_at", "item_count",
    "done_count",
}  # fmt: skip


class Setup:
    """A portfolio with two products, a manager and a client signed in as them."""

    def __init__(self, client):
        self.portfolio = PortfolioFactory()
        self.product = ProductFactory(portfolio=self.portfolio, name="Nebula")
        self.sibling = ProductFactory(portfolio=self.portfolio, name="Quasar")
        self.manager = member(self.portfolio, "product_manager")
        self.client = client
        client.force_authenticate(self.manager)

    def item(self, **fields):
        fields.setdefault("title", "Item")
        return services.roadmap_item_create(product=fields.pop("product", self.product), **fields)

    def as_role(self, role):
        self.client.force_authenticate(member(self.portfolio, role))
        return self.client


@pytest.fixture
def setup(api_client):
    return Setup(api_client)


def post(client, url, body):
    return client.post(url, body, format="json")


def patch(client, url, body, **headers):
    return client.patch(url, body, format="json", headers=headers)


def written():
    """What a refused request must leave as it was."""
    return (
        list(RoadmapItem.objects.order_by("id").values()),
        list(Release.objects.order_by("id").values()),
        list(RoadmapDependency.objects.order_by("id").values()),
        list(ScoringWeights.objects.order_by("id").values()),
        DomainEvent.objects.count(),
    )


# --- roadmap items -----------------------------------------------------------------------------------


def test_create_an_item_with_the_contract_fields(setup):
    initiative = setup.item(kind="initiative", title="Meteor")
    release = services.release_create(product=setup.product, version="2.0")
    idea = Idea.objects.create(product=setup.product, title="Alerts")
    feedback = Feedback.objects.create(
        product=setup.product, text="We need alerts", importance=4, received_on=date(2026, 3, 1)
    )
    body = {
        "product": setup.product.id,
        "parent": initiative.id,
        "kind": "feature",
        "title": "Pulsar",
        "description": "Alerts for on-call teams.",
        "status": "planned",
        "horizon": "now",
        "release": release.id,
        "owner": setup.manager.username,
        "start_date": "2026-04-01",
        "end_date": "2026-05-01",
        "reach": 1000,
        "impact": 2,
        "confidence": 80,
        "effort": 4,
        "business_value": 8,
        "time_criticality": 5,
        "risk_reduction": 3,
        "job_size": 4,
        "value": 9,
        "moscow": "must",
        "ideas": [idea.id],
        "feedback": [feedback.id],
    }
    response = post(setup.client, ITEMS, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= ITEM_FIELDS
    assert {k: data[k] for k in body} == body
    assert (data["rank"], data["regulatory"], data["key_result"], data["depends_on"]) == (0, False, None, [])
    # 1000 × 2 × 80 / 100 ÷ 4; (8 + 5 + 3) ÷ 4; 9 ÷ 4; (27 + 16 + 5 + 3 − 8) ÷ 9
    assert (data["rice_score"], data["wsjf_score"], data["value_effort"]) == (400, 4, 2.25)
    assert data["weighted_score"] == round(43 / 9, 4) and data["feedback_count"] == 1
    item = RoadmapItem.objects.get(pk=data["id"])
    assert item.owner == setup.manager and list(item.ideas.all()) == [idea]


def test_an_item_gets_the_contract_defaults(setup):
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "Bare"})
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["horizon"], data["kind"], data["parent"], data["owner"], data["moscow"]) == (
        "proposed",
        "later",
        "feature",
        None,
        None,
        None,
    )
    assert [data[s] for s in ("rice_score", "wsjf_score", "value_effort", "weighted_score")] == [None] * 4


def test_retrieve_an_item_with_its_dependencies_and_an_etag(setup):
    a, b = setup.item(title="a"), setup.item(title="b")
    services.dependency_create(item=a, depends_on=b)
    response = setup.client.get(f"{ITEMS}{a.id}/")
    assert response.status_code == 200 and response.json()["depends_on"] == [b.id]
    assert response.headers["ETag"].startswith('"')


def test_patch_an_item(setup):
    item = setup.item(reach=10)
    response = patch(setup.client, f"{ITEMS}{item.id}/", {"reach": 20, "status": "in_progress"})
    assert response.status_code == 200
    assert (response.json()["reach"], response.json()["status"]) == (20, "in_progress")
    assert DomainEvent.objects.filter(verb="roadmap_item.updated", object_id=item.id).count() == 1


def test_patch_the_horizon_puts_it_last_there(setup):
    setup.item(title="x", horizon="now")
    item = setup.item(title="y", horizon="later")
    response = patch(setup.client, f"{ITEMS}{item.id}/", {"horizon": "now"})
    assert (response.json()["horizon"], response.json()["rank"]) == ("now", 1)


def test_an_item_does_not_move_to_another_product(setup):
    item = setup.item()
    response = patch(setup.client, f"{ITEMS}{item.id}/", {"product": setup.sibling.id})
    assert response.status_code == 400 and "product" in response.json()


def test_rank_is_read_only(setup):
    item = setup.item(horizon="now")
    setup.item(horizon="now")
    assert patch(setup.client, f"{ITEMS}{item.id}/", {"rank": 1}).json()["rank"] == 0


def test_delete_an_item(setup):
    a, b = setup.item(title="a", horizon="now"), setup.item(title="b", horizon="now")
    assert setup.client.delete(f"{ITEMS}{a.id}/").status_code == 204
    assert not RoadmapItem.objects.filter(pk=a.id).exists()
    b.refresh_from_db()
    assert b.rank == 0


def test_move_an_item(setup):
    a, b, c = (setup.item(title=t, horizon="now") for t in "abc")
    response = post(setup.client, f"{ITEMS}{c.id}/move/", {"horizon": "now", "position": 0})
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["rank"]) == (c.id, 0) and "ETag" in response.headers
    assert list(RoadmapItem.objects.filter(horizon="now").order_by("rank").values_list("title", flat=True)) == [
        "c",
        "a",
        "b",
    ]


def test_move_to_another_column(setup):
    a, _ = setup.item(title="a", horizon="now"), setup.item(title="b", horizon="now")
    response = post(setup.client, f"{ITEMS}{a.id}/move/", {"horizon": "next", "position": 7})
    assert (response.json()["horizon"], response.json()["rank"]) == ("next", 0)
    assert list(RoadmapItem.objects.filter(horizon="now").values_list("rank", flat=True)) == [0]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"horizon": "soon", "position": 0}, "horizon"),
        ({"horizon": "now", "position": -1}, "position"),
        ({"horizon": "now"}, "position"),
        ({"horizon": "now", "position": "first"}, "position"),
    ],
)
def test_a_bad_move_is_a_400_on_the_field(setup, body, field):
    item = setup.item(horizon="later")
    before = written()
    response = post(setup.client, f"{ITEMS}{item.id}/move/", body)
    assert response.status_code == 400 and field in response.json()
    assert written() == before


# --- filters, ordering, CSV ---------------------------------------------------------------------------


@pytest.fixture
def catalogue(setup):
    """Items across the filters' values; {name: item}."""
    release = services.release_create(product=setup.product, version="3.0")
    initiative = setup.item(kind="initiative", title="initiative", horizon="now", status="in_progress")
    items = {
        "initiative": initiative,
        "feature": setup.item(title="feature", parent=initiative, release=release, moscow="must", horizon="next"),
        "requirement": setup.item(kind="requirement", title="requirement", status="done", moscow="could"),
        "sibling": setup.item(product=setup.sibling, title="sibling", status="dropped"),
    }
    setup.release = release
    return items


@pytest.mark.parametrize(
    "query, expected",
    [
        ("product={product}", {"initiative", "feature", "requirement"}),
        ("product={sibling}", {"sibling"}),
        ("kind=initiative", {"initiative"}),
        ("kind=requirement", {"requirement"}),
        ("status=done", {"requirement"}),
        ("status=proposed", {"feature"}),
        ("horizon=now", {"initiative"}),
        ("horizon=later", {"requirement", "sibling"}),
        ("release={release}", {"feature"}),
        ("parent={initiative}", {"feature"}),
        ("moscow=must", {"feature"}),
        ("moscow=could&product={product}", {"requirement"}),
        ("portfolio={portfolio}", {"initiative", "feature", "requirement", "sibling"}),
    ],
)
def test_item_filters(setup, catalogue, query, expected):
    url = (
        ITEMS
        + "?"
        + query.format(
            product=setup.product.id,
            sibling=setup.sibling.id,
            release=setup.release.id,
            initiative=catalogue["initiative"].id,
            portfolio=setup.portfolio.id,
        )
    )
    response = setup.client.get(url)
    assert response.status_code == 200
    assert {row["title"] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("query", ["kind=epic", "status=open", "horizon=soon", "moscow=may", "product=x"])
def test_an_unknown_filter_value_is_a_400(setup, query):
    response = setup.client.get(f"{ITEMS}?{query}")
    assert response.status_code == 400 and query.split("=")[0] in response.json()


def test_csv_has_a_header_and_the_portfolio_rows_only(setup, catalogue):
    foreign = ProductFactory(name="Foreign product")
    services.roadmap_item_create(product=foreign, title="Foreign item")
    response = setup.client.get(f"{ITEMS}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["id", "product", "kind", "parent_id", "parent", "title"]
    assert "rice_score" in rows[0] and "depends_on" in rows[0]
    titles = {row[rows[0].index("title")] for row in rows[1:]}
    assert titles == {"initiative", "feature", "requirement", "sibling"}
    assert "Foreign" not in text


def test_csv_follows_the_filters(setup, catalogue):
    response = setup.client.get(f"{ITEMS}?format=csv&product={setup.sibling.id}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[rows[0].index("title")] for row in rows[1:]] == ["sibling"]


def test_search_finds_by_title(setup, catalogue):
    response = setup.client.get(f"{ITEMS}?search=requirem")
    assert [row["title"] for row in response.json()["results"]] == ["requirement"]


# --- 400s: a field message, nothing written ---------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"impact": 0.7}, "impact"),
        ({"impact": 4}, "impact"),
        ({"confidence": 101}, "confidence"),
        ({"confidence": -1}, "confidence"),
        ({"effort": 0}, "effort"),
        ({"effort": -2}, "effort"),
        ({"job_size": 0}, "job_size"),
        ({"reach": -5}, "reach"),
        ({"kind": "epic"}, "kind"),
        ({"status": "open"}, "status"),
        ({"horizon": "soon"}, "horizon"),
        ({"moscow": "may"}, "moscow"),
        ({"title": ""}, "title"),
        ({"start_date": "2026-05-02", "end_date": "2026-05-01"}, "end_date"),
        ({"owner": "nobody-here"}, "owner"),
        ({"kind": "feature", "regulatory": True, "regulation": "GDPR"}, "regulatory"),
        ({"kind": "requirement", "regulatory": True}, "regulation"),
    ],
)
def test_a_bad_item_is_a_400_on_the_field_and_writes_nothing(setup, change, field):
    before = written()
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", **change})
    assert response.status_code == 400, response.content
    assert field in response.json() and response.json()[field]
    assert written() == before


def test_a_parent_of_another_product_is_a_400_on_parent(setup):
    parent = setup.item(product=setup.sibling, kind="initiative")
    before = written()
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", "parent": parent.id})
    assert response.status_code == 400 and response.json()["parent"] == ["The parent is an item of another product."]
    assert written() == before


def test_a_parent_of_a_lower_kind_is_a_400_on_parent(setup):
    parent = setup.item(kind="requirement")
    response = post(
        setup.client, ITEMS, {"product": setup.product.id, "title": "T", "kind": "feature", "parent": parent.id}
    )
    assert response.status_code == 400 and "parent" in response.json()


def test_a_release_of_another_product_is_a_400_on_release(setup):
    release = ReleaseFactory(product=setup.sibling)
    item = setup.item()
    before = written()
    for response in (
        post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", "release": release.id}),
        patch(setup.client, f"{ITEMS}{item.id}/", {"release": release.id}),
    ):
        assert response.status_code == 400 and response.json()["release"] == ["The release belongs to another product."]
    assert written() == before


def test_a_product_of_another_portfolio_is_a_400_on_product(setup):
    foreign = ProductFactory()
    before = written()
    response = post(setup.client, ITEMS, {"product": foreign.id, "title": "T"})
    assert response.status_code == 400 and "product" in response.json()
    response = post(setup.client, RELEASES, {"product": foreign.id, "version": "1.0"})
    assert response.status_code == 400 and "product" in response.json()
    assert written() == before


def test_links_of_another_portfolio_are_a_400(setup):
    foreign = ProductFactory()
    idea = Idea.objects.create(product=foreign, title="Theirs")
    parent = services.roadmap_item_create(product=foreign, title="Theirs", kind="initiative")
    before = written()
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", "ideas": [idea.id]})
    assert response.status_code == 400 and "ideas" in response.json()
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", "parent": parent.id})
    assert response.status_code == 400 and "parent" in response.json()
    assert written() == before


def test_a_bad_patch_writes_nothing(setup):
    item = setup.item(start_date=date(2026, 5, 2))
    before = written()
    response = patch(setup.client, f"{ITEMS}{item.id}/", {"end_date": "2026-05-01", "title": "Renamed"})
    assert response.status_code == 400 and "end_date" in response.json()
    assert written() == before


# --- releases ----------------------------------------------------------------------------------------


def test_create_and_read_a_release(setup):
    response = post(
        setup.client, RELEASES, {"product": setup.product.id, "version": "2.4", "target_date": "2026-09-01"}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= RELEASE_FIELDS
    assert (data["status"], data["shipped_at"], data["item_count"], data["done_count"]) == ("planned", None, 0, 0)
    release = Release.objects.get(pk=data["id"])
    setup.item(release=release, status="done")
    setup.item(release=release)
    data = setup.client.get(f"{RELEASES}{release.id}/").json()
    assert (data["item_count"], data["done_count"], data["target_date"]) == (2, 1, "2026-09-01")


def test_a_taken_version_is_a_400_on_version(setup):
    services.release_create(product=setup.product, version="2.4")
    before = written()
    response = post(setup.client, RELEASES, {"product": setup.product.id, "version": "2.4"})
    assert response.status_code == 400 and "version" in response.json()
    assert written() == before


def test_status_and_shipped_at_are_read_only(setup):
    release = services.release_create(product=setup.product, version="2.4")
    response = patch(
        setup.client, f"{RELEASES}{release.id}/", {"status": "shipped", "shipped_at": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 200 and response.json()["status"] == "planned"


def test_patch_and_delete_a_release(setup):
    release = services.release_create(product=setup.product, version="2.4")
    item = setup.item(release=release)
    assert patch(setup.client, f"{RELEASES}{release.id}/", {"name": "Aurora"}).json()["name"] == "Aurora"
    assert setup.client.delete(f"{RELEASES}{release.id}/").status_code == 204
    item.refresh_from_db()
    assert item.release is None


def test_release_filters(setup):
    planned = services.release_create(product=setup.product, version="1")
    shipped = services.release_create(product=setup.sibling, version="2")
    services.release_ship(release_id=shipped.id)
    assert [r["id"] for r in setup.client.get(f"{RELEASES}?status=shipped").json()["results"]] == [shipped.id]
    assert [r["id"] for r in setup.client.get(f"{RELEASES}?product={setup.product.id}").json()["results"]] == [
        planned.id
    ]


def test_ship_a_release(setup):
    release = services.release_create(product=setup.product, version="2.4")
    setup.item(release=release, status="done")
    response = post(setup.client, f"{RELEASES}{release.id}/ship/", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "shipped" and response.json()["shipped_at"]


def test_ship_with_open_items_is_a_409_listing_them(setup):
    release = services.release_create(product=setup.product, version="2.4")
    open_item = setup.item(release=release, status="in_progress", title="Open")
    setup.item(release=release, status="done")
    response = post(setup.client, f"{RELEASES}{release.id}/ship/", {})
    assert response.status_code == 409
    assert response.json()["open_items"] == [{"id": open_item.id, "title": "Open", "status": "in_progress"}]
    release.refresh_from_db()
    assert release.status == "planned"


def test_ship_twice_is_a_409(setup):
    release = services.release_create(product=setup.product, version="2.4")
    assert post(setup.client, f"{RELEASES}{release.id}/ship/", {}).status_code == 200
    response = post(setup.client, f"{RELEASES}{release.id}/ship/", {})
    assert response.status_code == 409 and response.json()["code"] == "already_shipped"


def test_an_override_without_a_reason_is_a_400_and_with_one_ships(setup):
    release = services.release_create(product=setup.product, version="2.4")
    setup.item(release=release, status="planned")
    before = written()
    response = post(setup.client, f"{RELEASES}{release.id}/ship/", {"override": True})
    assert response.status_code == 400 and "reason" in response.json()
    assert written() == before
    response = post(setup.client, f"{RELEASES}{release.id}/ship/", {"override": True, "reason": "Hotfix"})
    assert response.status_code == 200 and response.json()["status"] == "shipped"
    assert response.json()["ship_reason"] == "Hotfix"


# --- dependencies ------------------------------------------------------------------------------------


def test_create_list_and_delete_a_dependency(setup):
    a, b = setup.item(title="a"), setup.item(title="b", product=setup.sibling)
    response = post(setup.client, DEPENDENCIES, {"item": a.id, "depends_on": b.id, "kind": "relates"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("item", "depends_on", "kind")} == {"item": a.id, "depends_on": b.id, "kind": "relates"}
    assert [d["id"] for d in setup.client.get(f"{DEPENDENCIES}?item={a.id}").json()["results"]] == [data["id"]]
    assert setup.client.get(f"{DEPENDENCIES}{data['id']}/").status_code == 200
    assert setup.client.delete(f"{DEPENDENCIES}{data['id']}/").status_code == 204
    assert not RoadmapDependency.objects.exists()


def test_a_dependency_defaults_to_blocks(setup):
    a, b = setup.item(title="a"), setup.item(title="b")
    assert post(setup.client, DEPENDENCIES, {"item": a.id, "depends_on": b.id}).json()["kind"] == "blocks"


def test_a_dependency_cycle_is_a_400_naming_it(setup):
    a, b, c = (setup.item(title=t) for t in "abc")
    assert post(setup.client, DEPENDENCIES, {"item": a.id, "depends_on": b.id}).status_code == 201
    assert post(setup.client, DEPENDENCIES, {"item": b.id, "depends_on": c.id}).status_code == 201
    before = written()
    response = post(setup.client, DEPENDENCIES, {"item": c.id, "depends_on": a.id})
    assert response.status_code == 400
    assert response.json()["cycle"] == [c.id, a.id, b.id, c.id]
    assert "depends_on" in response.json()
    assert written() == before


@pytest.mark.parametrize("case", ["self", "duplicate", "foreign"])
def test_a_bad_dependency_is_a_400_on_depends_on(setup, case):
    a, b = setup.item(title="a"), setup.item(title="b")
    services.dependency_create(item=a, depends_on=b)
    target = {"self": a, "duplicate": b, "foreign": services.roadmap_item_create(product=ProductFactory(), title="x")}[
        case
    ]
    before = written()
    response = post(setup.client, DEPENDENCIES, {"item": a.id, "depends_on": target.id})
    assert response.status_code == 400 and "depends_on" in response.json()
    assert written() == before


def test_a_dependency_cannot_be_changed_only_deleted(setup):
    a, b = setup.item(title="a"), setup.item(title="b")
    dependency = services.dependency_create(item=a, depends_on=b)
    assert patch(setup.client, f"{DEPENDENCIES}{dependency.id}/", {"kind": "relates"}).status_code == 405


# --- scoring weights ----------------------------------------------------------------------------------


def test_weights_read_as_defaults_until_an_admin_sets_them(setup):
    response = setup.client.get(f"{WEIGHTS}{setup.portfolio.id}/")
    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == {
        "portfolio": setup.portfolio.id,
        "value": 3,
        "business_value": 2,
        "time_criticality": 1,
        "risk_reduction": 1,
        "reach": 0,
        "impact": 0,
        "confidence": 0,
        "effort": -2,
        "job_size": 0,
        "updated_at": None,
    }
    assert [row["portfolio"] for row in setup.client.get(WEIGHTS).json()] == [setup.portfolio.id]


def test_an_admin_sets_weights_and_the_scores_follow(setup):
    item = setup.item(value=9, effort=4)
    admin = setup.as_role("admin")
    response = patch(
        admin, f"{WEIGHTS}{setup.portfolio.id}/", {"business_value": 0, "time_criticality": 0, "risk_reduction": 0}
    )
    assert response.status_code == 200, response.content
    assert response.json()["business_value"] == 0 and response.json()["value"] == 3
    # (3 × 9 − 2 × 4) ÷ (3 + 2) = 19 ÷ 5 = 3.8
    assert admin.get(f"{ITEMS}{item.id}/").json()["weighted_score"] == 3.8


@pytest.mark.parametrize("weight", [101, -100.5, "lots", None])
def test_a_weight_out_of_range_is_a_400(setup, weight):
    admin = setup.as_role("admin")
    before = written()
    response = patch(admin, f"{WEIGHTS}{setup.portfolio.id}/", {"effort": weight})
    assert response.status_code == 400 and "effort" in response.json()
    assert written() == before


@pytest.mark.parametrize("role", ["product_manager", "marketer", "viewer"])
def test_only_admins_change_weights(setup, role):
    client = setup.as_role(role)
    before = written()
    assert patch(client, f"{WEIGHTS}{setup.portfolio.id}/", {"effort": -1}).status_code == 403
    assert written() == before


# --- roles and other portfolios -------------------------------------------------------------------------


@pytest.fixture
def objects(setup):
    release = services.release_create(product=setup.product, version="9.9")
    a = setup.item(title="a", release=release)
    b = setup.item(title="b")
    dependency = services.dependency_create(item=a, depends_on=b)
    return {"item": a, "other": b, "release": release, "dependency": dependency}


def writes(setup, objects):
    item, release, dependency = objects["item"], objects["release"], objects["dependency"]
    return [
        ("post", ITEMS, {"product": setup.product.id, "title": "New"}),
        ("patch", f"{ITEMS}{item.id}/", {"title": "Renamed"}),
        ("delete", f"{ITEMS}{item.id}/", None),
        ("post", f"{ITEMS}{item.id}/move/", {"horizon": "now", "position": 0}),
        ("post", RELEASES, {"product": setup.product.id, "version": "10"}),
        ("patch", f"{RELEASES}{release.id}/", {"name": "Renamed"}),
        ("delete", f"{RELEASES}{release.id}/", None),
        ("post", f"{RELEASES}{release.id}/ship/", {"override": True, "reason": "Now"}),
        ("post", DEPENDENCIES, {"item": objects["other"].id, "depends_on": item.id, "kind": "relates"}),
        ("delete", f"{DEPENDENCIES}{dependency.id}/", None),
    ]


@pytest.mark.parametrize("role", ["marketer", "viewer"])
def test_readers_get_403_on_every_write(setup, objects, role):
    client = setup.as_role(role)
    before = written()
    for method, url, body in writes(setup, objects):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.status_code)
    assert written() == before


@pytest.mark.parametrize("role", ["marketer", "viewer"])
def test_readers_read(setup, objects, role):
    client = setup.as_role(role)
    for url in (ITEMS, f"{ITEMS}{objects['item'].id}/", RELEASES, f"{RELEASES}{objects['release'].id}/", DEPENDENCIES):
        assert client.get(url).status_code == 200


def test_another_portfolio_objects_are_404(setup, objects):
    outsider = member(setup.portfolio, None)  # an admin elsewhere
    setup.client.force_authenticate(outsider)
    before = written()
    for url in (
        f"{ITEMS}{objects['item'].id}/",
        f"{RELEASES}{objects['release'].id}/",
        f"{DEPENDENCIES}{objects['dependency'].id}/",
        f"{WEIGHTS}{setup.portfolio.id}/",
    ):
        assert setup.client.get(url).status_code == 404, url
    for method, url, body in writes(setup, objects):
        if url in (ITEMS, RELEASES, DEPENDENCIES):
            continue  # creates: a 400 on the reference (below)
        response = getattr(setup.client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    assert patch(setup.client, f"{WEIGHTS}{setup.portfolio.id}/", {"effort": -1}).status_code == 404
    response = post(setup.client, DEPENDENCIES, {"item": objects["other"].id, "depends_on": objects["item"].id})
    assert response.status_code == 400 and "item" in response.json()
    assert written() == before
    for url in (ITEMS, RELEASES, DEPENDENCIES):
        assert setup.client.get(url).json()["count"] == 0


# --- conditional writes ----------------------------------------------------------------------------------


def test_a_stale_if_match_is_a_412_and_writes_nothing(setup):
    item = setup.item(title="Before")
    etag = setup.client.get(f"{ITEMS}{item.id}/").headers["ETag"]
    assert patch(setup.client, f"{ITEMS}{item.id}/", {"reach": 5}, **{"If-Match": etag}).status_code == 200
    before = written()
    response = patch(setup.client, f"{ITEMS}{item.id}/", {"title": "After"}, **{"If-Match": etag})
    assert response.status_code == 412
    assert written() == before


def test_the_etag_of_a_patch_is_the_next_read(setup):
    item = setup.item()
    response = patch(setup.client, f"{ITEMS}{item.id}/", {"reach": 5})
    assert response.headers["ETag"] == setup.client.get(f"{ITEMS}{item.id}/").headers["ETag"]


def test_a_move_makes_an_earlier_etag_stale(setup):
    item = setup.item(horizon="later")
    etag = setup.client.get(f"{ITEMS}{item.id}/").headers["ETag"]
    post(setup.client, f"{ITEMS}{item.id}/move/", {"horizon": "now", "position": 0})
    assert patch(setup.client, f"{ITEMS}{item.id}/", {"reach": 1}, **{"If-Match": etag}).status_code == 412


def test_a_stale_if_match_on_a_release_is_a_412(setup):
    release = services.release_create(product=setup.product, version="1")
    etag = setup.client.get(f"{RELEASES}{release.id}/").headers["ETag"]
    patch(setup.client, f"{RELEASES}{release.id}/", {"name": "A"})
    assert patch(setup.client, f"{RELEASES}{release.id}/", {"name": "B"}, **{"If-Match": etag}).status_code == 412


# --- query counts ------------------------------------------------------------------------------------------


def _fill(setup, n):
    release = services.release_create(product=setup.product, version=f"v{n}")
    idea = Idea.objects.create(product=setup.product, title="Idea")
    feedback = Feedback.objects.create(product=setup.product, text="Yes", importance=3, received_on=date(2026, 3, 1))
    initiative = setup.item(kind="initiative", title="Root", owner=setup.manager)
    previous = initiative
    for i in range(n):
        item = setup.item(
            title=f"Item {i}",
            parent=initiative,
            release=release,
            owner=setup.manager,
            ideas=[idea],
            feedback=[feedback],
            reach=10 + i,
            impact=1,
            confidence=50,
            effort=2,
        )
        services.dependency_create(item=item, depends_on=previous, kind="relates")
        previous = item


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [ITEMS, f"{ITEMS}?ordering=-rice_score", f"{ITEMS}?format=csv", RELEASES, DEPENDENCIES])
def test_list_queries_do_not_grow_with_the_data(api_client, url):
    counts = []
    for n in (5, 50):
        setup = Setup(api_client)
        _fill(setup, n)
        counts.append(_list_queries(setup.client, url))
    assert counts[0] == counts[1], counts


# --- what the schema says is what the server checks -----------------------------------------------------


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()["components"]["schemas"]


def test_impact_is_documented_as_its_five_values(schema):
    variants = schema["RoadmapItemRequest"]["properties"]["impact"]["oneOf"]
    assert [(v.get("minimum"), v.get("maximum")) for v in variants[:-1]] == [
        (0.25, 0.25),
        (0.5, 0.5),
        (1, 1),
        (2, 2),
        (3, 3),
    ]
    assert variants[-1] == {"enum": [None]}


@pytest.mark.parametrize(
    "field, documented, refused",
    [
        ("reach", ("maximum", 2_000_000_000), 2_000_000_001),
        ("value", ("maximum", 1000), 1001),
        ("business_value", ("maximum", 1000), 1001),
        ("description", ("maxLength", 20_000), "x" * 20_001),
        ("effort", ("minimum", 0.01), 0.004),
        ("job_size", ("minimum", 0.01), 0.004),
    ],
)
def test_item_bounds_are_documented_and_checked(setup, schema, field, documented, refused):
    assert schema["RoadmapItemRequest"]["properties"][field][documented[0]] == documented[1]
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", field: refused})
    assert response.status_code == 400 and field in response.json()


def test_an_effort_is_rounded_to_cents(setup):
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", "effort": 0.014})
    assert response.status_code == 201 and response.json()["effort"] == 0.01


def test_an_effort_below_a_cent_is_refused_although_it_rounds_to_one(setup):
    # The schema's minimum is 0.01: 0.006 is below it, whatever it rounds to.
    response = post(setup.client, ITEMS, {"product": setup.product.id, "title": "T", "effort": 0.006})
    assert response.status_code == 400 and "effort" in response.json()


def test_a_weight_is_rounded_to_two_places(setup):
    admin = setup.as_role("admin")
    response = patch(admin, f"{WEIGHTS}{setup.portfolio.id}/", {"time_criticality": 70.866})
    assert response.status_code == 200 and response.json()["time_criticality"] == 70.87


def test_weights_never_set_have_a_null_updated_at_as_documented(setup, schema):
    assert schema["ScoringWeights"]["properties"]["updated_at"]["nullable"] is True
    assert setup.client.get(f"{WEIGHTS}{setup.portfolio.id}/").json()["updated_at"] is None


def test_csv_is_the_list_download_only(setup):
    item = setup.item()
    assert setup.client.get(f"{ITEMS}{item.id}/?format=csv").status_code == 404
    assert setup.client.get(f"{ITEMS}?format=").status_code == 404


def test_a_csv_error_is_field_and_message_rows(setup):
    response = setup.client.get(f"{ITEMS}?format=csv&kind=epic")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["field", "message"] and rows[1][0] == "kind"


def test_the_already_shipped_conflict_is_documented_without_open_items(schema):
    assert "open_items" not in schema["OpenItems"]["required"]


# --- the contract's words, clause by clause --------------------------------------------------------------


def _enum(schema, component, field):
    node = schema[component]["properties"][field]
    for ref in [node, *node.get("allOf", []), *node.get("oneOf", [])]:
        if "$ref" in ref:
            return [v for v in schema[ref["$ref"].rsplit("/", 1)[1]]["enum"] if v not in ("", None)]
    return node["enum"]


@pytest.mark.parametrize(
    "component, field, words",
    [
        ("RoadmapItem", "kind", ["initiative", "feature", "requirement"]),
        ("RoadmapItem", "status", ["proposed", "planned", "in_progress", "done", "dropped"]),
        ("RoadmapItem", "horizon", ["now", "next", "later"]),
        ("RoadmapItem", "moscow", ["must", "should", "could", "wont"]),
        ("Release", "status", ["planned", "shipped"]),
        ("RoadmapDependency", "kind", ["blocks", "relates"]),
    ],
)
def test_the_enums_are_the_contracts_words(schema, component, field, words):
    assert _enum(schema, component, field) == words


def test_a_move_position_is_the_index_after_the_move_also_downwards(setup):
    """[a, b, c]: a to position 1 is [b, a, c] (its index once moved), not [a, b, c] or [b, c, a]."""
    a, b, c = (setup.item(title=t, horizon="now") for t in "abc")
    response = post(setup.client, f"{ITEMS}{a.id}/move/", {"horizon": "now", "position": 1})
    assert response.status_code == 200 and response.json()["rank"] == 1
    assert list(RoadmapItem.objects.filter(horizon="now").order_by("rank").values_list("title", "rank")) == [
        ("b", 0),
        ("a", 1),
        ("c", 2),
    ]


def test_a_move_across_columns_closes_the_gap_it_leaves(setup):
    _, b, _ = (setup.item(title=t, horizon="now") for t in "abc")
    setup.item(title="x", horizon="next"), setup.item(title="y", horizon="next")
    assert post(setup.client, f"{ITEMS}{b.id}/move/", {"horizon": "next", "position": 1}).status_code == 200
    rows = RoadmapItem.objects.order_by("horizon", "rank").values_list("horizon", "title", "rank")
    assert [r for r in rows if r[0] == "now"] == [("now", "a", 0), ("now", "c", 1)]
    assert [r for r in rows if r[0] == "next"] == [("next", "x", 0), ("next", "b", 1), ("next", "y", 2)]


@pytest.mark.parametrize("direction", ["-", ""])
def test_the_csv_follows_a_score_ordering_with_the_unscored_last(setup, direction):
    for title, reach in (("low", 10), ("none", None), ("high", 900)):
        setup.item(title=title, reach=reach, impact=1, confidence=100, effort=1)
    response = setup.client.get(f"{ITEMS}?format=csv&ordering={direction}rice_score")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    expected = ["high", "low"] if direction else ["low", "high"]
    assert [row["title"] for row in rows] == [*expected, "none"]
    assert rows[-1]["rice_score"] == ""


def test_an_unknown_ordering_is_ignored_not_a_500(setup):
    setup.item(title="a")
    assert setup.client.get(f"{ITEMS}?ordering=-secret_field").status_code == 200


def test_the_409_of_an_already_shipped_release_lists_no_items(setup):
    release = services.release_create(product=setup.product, version="2.4")
    services.release_ship(release_id=release.id)
    response = post(setup.client, f"{RELEASES}{release.id}/ship/", {"override": True, "reason": "Again"})
    assert response.status_code == 409 and "open_items" not in response.json()


def test_the_cycle_body_names_the_field_and_the_ids_first_equal_last(setup):
    a, b = setup.item(title="a"), setup.item(title="b")
    services.dependency_create(item=a, depends_on=b)
    response = post(setup.client, DEPENDENCIES, {"item": b.id, "depends_on": a.id, "kind": "blocks"})
    body = response.json()
    assert response.status_code == 400 and body["cycle"] == [b.id, a.id, b.id]
    assert all(isinstance(pk, int) for pk in body["cycle"]) and body["cycle"][0] == body["cycle"][-1]
    # A relates edge the other way is no cycle.
    assert post(setup.client, DEPENDENCIES, {"item": b.id, "depends_on": a.id, "kind": "relates"}).status_code == 201


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_concurrent_api_moves_keep_both_columns_dense():
    """Eight clients move items of one product between two columns at once: the ranks of each column
    stay 0…n−1 without gaps or repeats (the product's row lock queues the moves)."""
    import threading

    from rest_framework.test import APIClient

    product = ProductFactory()
    manager = member(product.portfolio, "product_manager")
    items = [services.roadmap_item_create(product=product, title=f"i{n}", horizon="now") for n in range(8)]
    barrier, failures = threading.Barrier(len(items)), []

    def move(n, item):
        try:
            client = APIClient()
            client.force_authenticate(manager)
            barrier.wait(timeout=10)
            body = {"horizon": "next" if n % 2 else "now", "position": n % 3}
            response = client.post(f"{ITEMS}{item.id}/move/", body, format="json")
            if response.status_code != 200:
                failures.append((item.title, response.status_code, response.content[:200]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(n, item)) for n, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    for horizon, size in (("now", 4), ("next", 4)):
        ranks = list(RoadmapItem.objects.filter(product=product, horizon=horizon).values_list("rank", flat=True))
        assert sorted(ranks) == list(range(size)), (horizon, ranks)
