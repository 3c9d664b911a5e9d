"""The roadmap item pages: the item form, the item page, dependencies, deletion and the items table."""

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import DomainEvent, Feedback, Idea, Role
from roadmap import services
from roadmap.models import RoadmapDependency, RoadmapItem
from tests.factories import (
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    ReleaseFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db

VALID = {"kind": "feature", "title": "Offline mode", "status": "proposed", "horizon": "next"}


@pytest.fixture
def product():
    return ProductFactory(name="Nebula", portfolio=PortfolioFactory(name="Acme"))


@pytest.fixture
def manager(client, product):
    user = member(product.portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


def _text(response) -> str:
    return response.content.decode()


def _field_errors(page: str, field: str) -> str:
    """The error list under one field of a rendered form ("" when it has none)."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error"[^>]*>(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def _options(page: str, select: str) -> list[str]:
    found = re.search(rf'<select name="{select}"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r">([^<]+)</option>", found.group(1)) if found else []


# --- create and edit ------------------------------------------------------------------------------


def test_create_through_the_page_saves_the_item_with_its_scores(client, product, manager):
    release = ReleaseFactory(product=product, version="2.0")
    idea = Idea.objects.create(product=product, title="Work on the train")
    feedback = Feedback.objects.create(product=product, text="No signal in the tunnel", received_on=date(2026, 3, 1))
    response = client.post(
        f"/roadmap-items/new/?product={product.id}",
        {
            **VALID,
            "release": release.id,
            "owner": manager.id,
            "start_date": "2026-04-01",
            "end_date": "2026-05-15",
            "reach": "1,000",
            "impact": "2",
            "confidence": "80",
            "effort": "4",
            "moscow": "must",
            "ideas": [idea.id],
            "feedback": [feedback.id],
        },
    )
    item = RoadmapItem.objects.get(title="Offline mode")
    assert response.status_code == 302 and response["Location"] == f"/roadmap-items/{item.id}/"
    assert (item.horizon, item.release, item.owner, item.reach, item.moscow) == ("next", release, manager, 1000, "must")
    assert list(item.ideas.all()) == [idea] and list(item.feedback.all()) == [feedback]
    assert DomainEvent.objects.filter(verb="roadmap_item.created", object_id=item.id, actor=manager).exists()


def test_create_form_shows_every_scoring_method_with_its_scale(client, product, manager):
    page = _text(client.get(f"/roadmap-items/new/?product={product.id}"))
    for legend in ("<legend>RICE</legend>", "<legend>WSJF (weighted shortest job first)</legend>"):
        assert legend in page
    assert "People or events it touches per quarter" in page
    assert _options(page, "impact") == [
        "— not rated —",
        "0.25 — minimal impact",
        "0.5 — low impact",
        "1 — medium impact",
        "2 — high impact",
        "3 — massive impact",
    ]
    assert 'type="date"' in page
    assert "No ideas recorded for Nebula yet." in page


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"title": "  "}, "title", "This field is required."),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date", "The end date is before the start date."),
        ({"regulatory": "on", "regulation": "GDPR"}, "regulatory", "Only requirements are marked regulatory."),
        ({"kind": "requirement", "regulatory": "on"}, "regulation", "Name the regulation"),
        ({"confidence": "150"}, "confidence", "From 0 to 100."),
        ({"effort": "0"}, "effort", "More than 0"),
        ({"effort": "1e9999999"}, "effort", ""),
        ({"reach": "lots"}, "reach", "Enter a whole number."),
        ({"impact": "7"}, "impact", "Select a valid choice."),
        ({"business_value": "5000"}, "business_value", "From 0 to 1,000."),
        ({"kind": "initiative", "parent": "{initiative}"}, "parent", "An initiative has no parent"),
        ({"kind": "feature", "parent": "{feature}"}, "parent", "parent is of a higher kind"),
    ],
)
def test_create_refusal_is_a_field_error_and_writes_nothing(client, product, manager, change, field, message):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    feature = RoadmapItemFactory(product=product, kind="feature", title="Sync")
    body = {**VALID, **{k: v.format(initiative=initiative.id, feature=feature.id) for k, v in change.items()}}
    events = DomainEvent.objects.count()
    response = client.post(f"/roadmap-items/new/?product={product.id}", body)
    assert response.status_code == 400
    errors = _field_errors(_text(response), field)
    assert errors and message in errors.replace("&#x27;", "'")
    assert RoadmapItem.objects.count() == 2 and DomainEvent.objects.count() == events


def test_create_page_for_another_portfolios_product_is_404(client, manager):
    foreign = ProductFactory()
    assert client.get(f"/roadmap-items/new/?product={foreign.id}").status_code == 404
    assert client.post(f"/roadmap-items/new/?product={foreign.id}", VALID).status_code == 404
    assert client.get("/roadmap-items/new/").status_code == 404
    assert not RoadmapItem.objects.exists()


def test_parent_options_are_the_products_items_of_a_higher_kind(client, product, manager):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    feature = RoadmapItemFactory(product=product, kind="feature", title="Sync", parent=initiative)
    RoadmapItemFactory(product=product, kind="requirement", title="Encrypt", parent=feature)
    RoadmapItemFactory(product=ProductFactory(portfolio=product.portfolio), kind="initiative", title="Elsewhere")
    new = f"/roadmap-items/new/?product={product.id}"
    assert _options(_text(client.get(new)), "parent") == ["— no parent —", "Big bet"]
    assert _options(_text(client.get(new + "&kind=requirement")), "parent") == ["— no parent —", "Big bet", "Sync"]
    page = _text(client.get(new + "&kind=requirement"))
    assert '<optgroup label="Initiatives">' in page and '<optgroup label="Features">' in page
    assert _options(_text(client.get(f"/roadmap-items/{initiative.id}/edit/")), "parent") == ["— no parent —"]
    # A posted kind decides the options shown again with the errors.
    page = _text(client.post(new, {**VALID, "kind": "requirement", "title": ""}))
    assert _options(page, "parent") == ["— no parent —", "Big bet", "Sync"]


def test_add_under_link_presets_parent_kind_and_horizon(client, product, manager):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet", horizon="now")
    page = _text(client.get(f"/roadmap-items/{initiative.id}/"))
    link = f"/roadmap-items/new/?product={product.id}&amp;parent={initiative.id}&amp;kind=feature&amp;horizon=now"
    assert link in page and "Add a feature under this" in page
    form = _text(client.get(link.replace("&amp;", "&")))
    assert f'<option value="{initiative.id}" selected>Big bet</option>' in form
    assert '<option value="feature" selected>' in form and '<option value="now" selected>' in form


def test_edit_through_the_page_changes_the_item_and_its_history(client, product, manager):
    item = services.roadmap_item_create(product=product, kind="feature", title="Sync", effort=2)
    page = _text(client.get(f"/roadmap-items/{item.id}/edit/"))
    assert 'value="Sync"' in page and 'name="effort" value="2"' in page
    response = client.post(
        f"/roadmap-items/{item.id}/edit/",
        {**VALID, "title": "Sync everywhere", "status": "planned", "effort": "2", "impact": "0.5"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status, str(item.impact)) == ("Sync everywhere", "planned", "0.50")
    history = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "Status: Proposed → Planned" in history and "Title: Sync → Sync everywhere" in history


def test_edit_refuses_a_kind_below_its_children_and_changes_nothing(client, product, manager):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    RoadmapItemFactory(product=product, kind="feature", parent=initiative)
    response = client.post(
        f"/roadmap-items/{initiative.id}/edit/", {**VALID, "kind": "requirement", "title": "Renamed"}
    )
    assert response.status_code == 400
    assert "child item(s) of kind feature" in _field_errors(_text(response), "kind")
    initiative.refresh_from_db()
    assert (initiative.kind, initiative.title) == ("initiative", "Big bet")


def test_edit_form_shows_the_stored_impact_as_its_choice(client, product, manager):
    item = RoadmapItemFactory(product=product, impact="0.25")
    assert '<option value="0.25" selected>' in _text(client.get(f"/roadmap-items/{item.id}/edit/"))


def test_delete_lists_what_goes_and_keeps_the_children(client, product, manager):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    child = RoadmapItemFactory(product=product, kind="feature", title="Sync", parent=initiative)
    RoadmapDependency.objects.create(item=child, depends_on=initiative)
    page = _text(client.get(f"/roadmap-items/{initiative.id}/delete/"))
    assert "Its children stay on the roadmap without a parent: “Sync”." in page
    assert "1 dependency to and from it are removed." in page
    response = client.post(f"/roadmap-items/{initiative.id}/delete/")
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.parent is None and not RoadmapDependency.objects.exists()


# --- the item page ----------------------------------------------------------------------------------


def test_item_page_shows_each_score_with_its_inputs_and_formula(client, product, manager):
    item = RoadmapItemFactory(product=product, reach=1000, impact=2, confidence=80, effort=4, value=6)
    page = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "RICE 400 = 1,000 × 2 × 80 % ÷ 4" in page
    assert "1,000 per quarter" in page and "2 — high impact" in page and "4 person-months" in page
    assert "Value ÷ effort 1.5 = 6 ÷ 4" in page
    assert "Add business value, time criticality, risk reduction and job size to get a WSJF score." in page
    assert "Add business value, time criticality and risk reduction to get a weighted score." in page


def test_item_page_says_what_is_missing_for_a_score(client, product, manager):
    item = RoadmapItemFactory(product=product, impact=1, confidence=50, effort=2)
    page = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "Add reach to get a RICE score." in page
    assert f'href="/roadmap-items/{item.id}/edit/#id_reach"' in page


def test_item_page_shows_hierarchy_links_and_history(client, product, manager):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    feature = RoadmapItemFactory(product=product, kind="feature", title="Sync", parent=initiative)
    requirement = services.roadmap_item_create(
        product=product, kind="requirement", title="Encrypt at rest", parent=feature, actor=manager
    )
    services.roadmap_item_update(item_id=requirement.id, status="in_progress", actor=manager)
    page = _text(client.get(f"/roadmap-items/{requirement.id}/"))
    assert page.index("Big bet") < page.index("Sync") < page.index("<strong>Encrypt at rest</strong>")
    assert "Status: Proposed → In progress" in page and "Created" in page
    parent_page = _text(client.get(f"/roadmap-items/{feature.id}/"))
    assert 'Encrypt at rest</a> <span class="item-status status-in_progress">In progress</span>' in parent_page
    assert "Add a requirement under this" in parent_page


def test_item_page_lists_the_ideas_and_feedback_with_the_count(client, product, manager):
    item = RoadmapItemFactory(product=product)
    item.ideas.add(Idea.objects.create(product=product, title="Work on the train"))
    for text in ("No signal in the tunnel", "Need it on planes"):
        item.feedback.add(Feedback.objects.create(product=product, text=text, received_on=date(2026, 3, 1)))
    page = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "Work on the train" in page and "No signal in the tunnel" in page and "2 feedback" in page


# --- dependencies -----------------------------------------------------------------------------------


def test_add_and_remove_a_dependency_from_the_page(client, product, manager):
    item = RoadmapItemFactory(product=product, title="Sync")
    other = RoadmapItemFactory(product=ProductFactory(portfolio=product.portfolio, name="Core"), title="Storage API")
    response = client.post(f"/roadmap-items/{item.id}/dependencies/", {"depends_on": other.id, "kind": "blocks"})
    assert response.status_code == 302 and response["Location"].endswith("#dependencies")
    edge = RoadmapDependency.objects.get(item=item, depends_on=other, kind="blocks")
    page = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "Blocked by</span>" in page and "Storage API</a>" in page
    other_page = _text(client.get(f"/roadmap-items/{other.id}/"))
    assert "Blocks</span>" in other_page and "Sync</a>" in other_page
    assert "Dependency added: Sync blocked by Storage API" in page
    response = client.post(f"/roadmap-dependencies/{edge.id}/delete/", {"from": other.id})
    assert response.status_code == 302 and response["Location"] == f"/roadmap-items/{other.id}/#dependencies"
    assert not RoadmapDependency.objects.exists()


def test_a_dependency_that_closes_a_cycle_is_refused_with_the_cycle_named(client, product, manager):
    a, b, c = (RoadmapItemFactory(product=product, title=t) for t in ("Alpha", "Beta", "Gamma"))
    RoadmapDependency.objects.create(item=a, depends_on=b)
    RoadmapDependency.objects.create(item=b, depends_on=c)
    response = client.post(f"/roadmap-items/{c.id}/dependencies/", {"depends_on": a.id, "kind": "blocks"})
    assert response.status_code == 400
    errors = _field_errors(_text(response), "depends_on")
    assert "This would close a cycle: “Gamma” → “Alpha” → “Beta” → “Gamma”." in errors
    assert RoadmapDependency.objects.count() == 2


def test_a_duplicate_or_foreign_dependency_is_refused(client, product, manager):
    item, other = RoadmapItemFactory(product=product), RoadmapItemFactory(product=product, title="Storage API")
    RoadmapDependency.objects.create(item=item, depends_on=other, kind="relates")
    response = client.post(f"/roadmap-items/{item.id}/dependencies/", {"depends_on": other.id, "kind": "blocks"})
    assert response.status_code == 400 and "already depends on" in _field_errors(_text(response), "depends_on")
    foreign = RoadmapItemFactory()
    response = client.post(f"/roadmap-items/{item.id}/dependencies/", {"depends_on": foreign.id, "kind": "blocks"})
    assert response.status_code == 400 and "Select a valid choice" in _field_errors(_text(response), "depends_on")
    assert RoadmapDependency.objects.count() == 1


def test_the_add_form_offers_the_portfolios_other_items_not_yet_depended_on(client, product, manager):
    item = RoadmapItemFactory(product=product, title="Sync")
    taken = RoadmapItemFactory(product=product, title="Taken")
    RoadmapDependency.objects.create(item=item, depends_on=taken)
    RoadmapItemFactory(product=ProductFactory(portfolio=product.portfolio, name="Core"), title="Storage API")
    RoadmapItemFactory(title="Foreign item")
    options = _options(_text(client.get(f"/roadmap-items/{item.id}/")), "depends_on")
    assert options == ["— choose an item —", "Storage API (feature)"]


def test_a_schedule_warning_names_the_dependency_planned_later(client, product, manager):
    item = RoadmapItemFactory(product=product, title="Sync", horizon="now")
    prerequisite = RoadmapItemFactory(product=product, title="Storage API", horizon="later")
    RoadmapDependency.objects.create(item=item, depends_on=prerequisite, kind="blocks")
    page = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "Planned before <a href=" in page
    assert "“Storage API”</a>, which it depends on: it is in Now, “Storage API” in Later." in page
    other = _text(client.get(f"/roadmap-items/{prerequisite.id}/"))
    assert "“Sync”</a> depends on this item but is planned before it: it is in Now" in other
    table = _text(client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/"))
    assert "planned too early" in table


def test_no_schedule_warning_for_a_relates_edge(client, product, manager):
    item = RoadmapItemFactory(product=product, horizon="now")
    RoadmapDependency.objects.create(item=item, depends_on=RoadmapItemFactory(product=product), kind="relates")
    assert "Planned in the wrong order" not in _text(client.get(f"/roadmap-items/{item.id}/"))


# --- the items table --------------------------------------------------------------------------------


def _titles(page: str) -> list[str]:
    return re.findall(r'<td class="stack-title item-title"><a href="/roadmap-items/\d+/">([^<]+)</a>', page)


@pytest.fixture
def scored(product):
    RoadmapItemFactory(product=product, title="Low", reach=10, impact=1, confidence=100, effort=1)
    RoadmapItemFactory(product=product, title="Unscored")
    RoadmapItemFactory(product=product, title="High", reach=20, impact=1, confidence=100, effort=1)
    return product


@pytest.mark.parametrize(
    "sort, order", [("-rice_score", ["High", "Low", "Unscored"]), ("rice_score", ["Low", "High", "Unscored"])]
)
def test_table_sorts_by_a_score_with_unscored_items_last_either_way(client, scored, manager, sort, order):
    page = _text(client.get(f"/portfolios/{scored.portfolio_id}/roadmap/items/?sort={sort}"))
    assert _titles(page) == order


def test_table_header_links_toggle_the_sort_and_keep_the_filters(client, scored, manager):
    page = _text(client.get(f"/portfolios/{scored.portfolio_id}/roadmap/items/?sort=-rice_score&kind=feature"))
    assert 'aria-sort="descending"><a href="?sort=rice_score&amp;kind=feature">RICE' in page
    assert 'href="?sort=-wsjf_score&amp;kind=feature">WSJF' in page
    assert 'href="?sort=title&amp;kind=feature">Title' in page


def test_table_filters(client, product, manager):
    release = ReleaseFactory(product=product, version="3.0")
    other_product = ProductFactory(portfolio=product.portfolio, name="Core")
    RoadmapItemFactory(product=product, title="Sync", kind="feature", status="planned", horizon="now", release=release)
    RoadmapItemFactory(product=product, title="Big bet", kind="initiative", moscow="must", description="offline first")
    RoadmapItemFactory(product=other_product, title="Storage API", kind="requirement")
    url = f"/portfolios/{product.portfolio_id}/roadmap/items/"
    assert _titles(_text(client.get(url))) == ["Storage API", "Sync", "Big bet"]  # by product, horizon, rank
    cases = {
        f"product={other_product.id}": ["Storage API"],
        "kind=initiative": ["Big bet"],
        "status=planned": ["Sync"],
        "horizon=now": ["Sync"],
        f"release={release.id}": ["Sync"],
        "moscow=must": ["Big bet"],
        "moscow=none": ["Storage API", "Sync"],
        "search=OFFLINE": ["Big bet"],
        "kind=feature&horizon=later": [],
    }
    for query, titles in cases.items():
        assert _titles(_text(client.get(f"{url}?{query}"))) == titles, query
    assert "No item matches these filters." in _text(client.get(f"{url}?kind=feature&horizon=later"))


def test_table_ignores_another_portfolios_product_filter_and_says_so(client, product, manager):
    RoadmapItemFactory(product=product, title="Mine")
    foreign = RoadmapItemFactory(title="Theirs")
    page = _text(client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/?product={foreign.product_id}"))
    assert _titles(page) == ["Mine"] and "Select a valid choice" in page


def test_table_paginates(client, product, manager, settings):
    RoadmapItem.objects.bulk_create([RoadmapItem(product=product, title=f"Item {n:03}", rank=n) for n in range(105)])
    url = f"/portfolios/{product.portfolio_id}/roadmap/items/?sort=title"
    first = _text(client.get(url))
    assert len(_titles(first)) == 100 and "1–100 of 105 items" in first
    assert 'href="?sort=title&amp;page=2">Next' in first
    assert _titles(_text(client.get(url + "&page=2"))) == [f"Item {n:03}" for n in range(100, 105)]


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_download_has_the_api_columns_and_the_same_filters(client, scored, manager):
    RoadmapItemFactory(title="Foreign", reach=99, impact=3, confidence=100, effort=1)
    url = f"/portfolios/{scored.portfolio_id}/roadmap/items/"
    response = client.get(f"{url}?format=csv&sort=-rice_score")
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="roadmap-{scored.portfolio_id}.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert [r["title"] for r in rows] == ["High", "Low", "Unscored"]
    assert rows[0]["rice_score"] == "20.0" and rows[2]["rice_score"] == ""
    assert [r["title"] for r in _csv(client.get(f"{url}?format=csv&search=high"))] == ["High"]
    page = _text(client.get(f"{url}?search=high"))
    assert 'href="?search=high&amp;format=csv"' in page


def test_csv_with_a_filter_that_is_not_valid_is_refused(client, product, manager):
    response = client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/?format=csv&kind=epic")
    assert response.status_code == 400 and b"kind" in response.content


# --- query counts -----------------------------------------------------------------------------------


def _grow(product, manager, n: int):
    """n times: an item with a release, owner, parent, scores, feedback, an idea and dependencies."""
    hub = RoadmapItemFactory(product=product, kind="initiative", title="Hub")
    for i in range(n):
        release = ReleaseFactory(product=product, target_date=date(2026, 6, 1))
        child = RoadmapItemFactory(
            product=product, parent=hub, release=release, owner=manager, reach=i + 1, impact=1, confidence=50, effort=1
        )
        child.feedback.add(Feedback.objects.create(product=product, text=f"Ask {i}", received_on=date(2026, 3, 1)))
        hub.ideas.add(Idea.objects.create(product=product, title=f"Idea {i}"))
        hub.feedback.add(Feedback.objects.create(product=product, text=f"Hub {i}", received_on=date(2026, 3, 1)))
        RoadmapDependency.objects.create(item=child, depends_on=hub, kind="blocks")
        other = RoadmapItemFactory(product=product, kind="initiative", horizon="now")
        RoadmapDependency.objects.create(item=hub, depends_on=other, kind="relates")
        services.roadmap_item_update(item_id=hub.id, status=["planned", "proposed"][i % 2], actor=manager)
    return hub


def _count(client, url) -> int:
    client.get(url)  # the process's first request fills caches (content types, field choices) once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def small_and_large(manager):
    """Two portfolios the manager works in: one with 1× the data, one with 10×."""
    small, large = ProductFactory(), ProductFactory()
    for product in (small, large):
        MembershipFactory(portfolio=product.portfolio, user=manager, role=Role.PRODUCT_MANAGER)
    return (small, _grow(small, manager, 1)), (large, _grow(large, manager, 10))


def test_item_page_query_count_does_not_grow_with_data(client, small_and_large):
    (_, one), (_, ten) = small_and_large
    assert _count(client, f"/roadmap-items/{ten.id}/") == _count(client, f"/roadmap-items/{one.id}/")


def test_items_table_query_count_does_not_grow_with_data(client, small_and_large):
    (small, _), (large, _) = small_and_large
    for query in ("", "?sort=-rice_score&kind=feature"):
        one = _count(client, f"/portfolios/{small.portfolio_id}/roadmap/items/{query}")
        ten = _count(client, f"/portfolios/{large.portfolio_id}/roadmap/items/{query}")
        assert ten == one, query


# --- who sees what ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_see_no_edit_controls_and_their_posts_are_refused(client, product, role):
    item = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    other = RoadmapItemFactory(product=product, title="Other")
    edge = RoadmapDependency.objects.create(item=item, depends_on=other, kind="relates")
    client.force_login(member(product.portfolio, role))
    page = _text(client.get(f"/roadmap-items/{item.id}/"))
    assert "Big bet" in page
    for control in ("/edit/", "/delete/", "Add a dependency", "Add a feature under this", "Remove"):
        assert control not in page, control
    table = _text(client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/"))
    assert "Big bet" in table and "Add item" not in table
    events = DomainEvent.objects.count()
    posts = [
        (f"/roadmap-items/new/?product={product.id}", VALID),
        (f"/roadmap-items/{item.id}/edit/", {**VALID, "kind": "initiative"}),
        (f"/roadmap-items/{item.id}/delete/", {}),
        (f"/roadmap-items/{other.id}/dependencies/", {"depends_on": item.id, "kind": "blocks"}),
        (f"/roadmap-dependencies/{edge.id}/delete/", {}),
    ]
    for url, body in posts:
        assert client.post(url, body).status_code == 403, url
    assert client.get(f"/roadmap-items/{item.id}/edit/").status_code == 403
    assert DomainEvent.objects.count() == events and RoadmapItem.objects.count() == 2
    assert RoadmapDependency.objects.count() == 1


def test_another_portfolios_items_are_404(client, product, manager):
    foreign = RoadmapItemFactory(title="Theirs")
    edge = RoadmapDependency.objects.create(item=foreign, depends_on=RoadmapItemFactory(product=foreign.product))
    for url in (
        f"/roadmap-items/{foreign.id}/",
        f"/roadmap-items/{foreign.id}/edit/",
        f"/roadmap-items/{foreign.id}/delete/",
        f"/portfolios/{foreign.product.portfolio_id}/roadmap/items/",
    ):
        assert client.get(url).status_code == 404, url
    mine = RoadmapItemFactory(product=product)
    assert client.post(f"/roadmap-items/{foreign.id}/dependencies/", {"depends_on": mine.id}).status_code == 404
    assert client.post(f"/roadmap-dependencies/{edge.id}/delete/").status_code == 404
    assert client.post(f"/roadmap-items/{foreign.id}/delete/").status_code == 404
    assert RoadmapItem.objects.filter(pk=foreign.pk).exists() and RoadmapDependency.objects.count() == 1


def test_table_sorts_from_the_sort_select_too_as_on_a_phone(client, product, manager):
    popular = RoadmapItemFactory(product=product, title="Popular")
    RoadmapItemFactory(product=product, title="Quiet")
    for text in ("One", "Two"):
        popular.feedback.add(Feedback.objects.create(product=product, text=text, received_on=date(2026, 3, 1)))
    page = _text(client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/?sort=feedback_count"))
    assert _titles(page) == ["Quiet", "Popular"]
    assert '<option value="feedback_count" selected>Feedback, least first</option>' in page
    assert '<option value="-rice_score">RICE, highest first</option>' in page


# --- review: strangers, readers, absurd input and the form's query count ------------------------------


def _state():
    return (
        list(RoadmapItem.objects.order_by("id").values_list("id", "title", "kind", "parent_id", "release_id")),
        list(RoadmapDependency.objects.order_by("id").values_list("id", "item_id", "depends_on_id")),
        DomainEvent.objects.count(),
    )


def _house(product):
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Big bet")
    item = RoadmapItemFactory(product=product, parent=initiative, title="Sync")
    edge = RoadmapDependency.objects.create(item=item, depends_on=initiative, kind="relates")
    return initiative, item, edge


ITEM_URLS = [  # (method, url, body): every URL of roadmap/item_views.py
    ("get", "/roadmap-items/new/?product={product}", None),
    ("post", "/roadmap-items/new/?product={product}", VALID),
    ("get", "/roadmap-items/{item}/", None),
    ("get", "/roadmap-items/{item}/edit/", None),
    ("post", "/roadmap-items/{item}/edit/", {**VALID, "title": "Renamed"}),
    ("get", "/roadmap-items/{item}/delete/", None),
    ("post", "/roadmap-items/{item}/delete/", {}),
    ("post", "/roadmap-items/{item}/dependencies/", {"depends_on": "{initiative}", "kind": "blocks"}),
    ("post", "/roadmap-dependencies/{edge}/delete/", {}),
    ("get", "/portfolios/{portfolio}/roadmap/items/", None),
    ("get", "/portfolios/{portfolio}/roadmap/items/?format=csv", None),
]


def _call(client, method, url, body, **ids):
    url = url.format(**ids)
    if body is None:
        return getattr(client, method)(url)
    return client.post(url, {k: str(v).format(**ids) for k, v in body.items()})


@pytest.mark.parametrize("method, url, body", ITEM_URLS)
def test_a_member_of_another_portfolio_gets_404_and_changes_nothing(client, product, method, url, body):
    initiative, item, edge = _house(product)
    client.force_login(member(product.portfolio, None))
    before = _state()
    ids = dict(product=product.id, item=item.id, initiative=initiative.id, edge=edge.id, portfolio=product.portfolio_id)
    assert _call(client, method, url, body, **ids).status_code == 404
    assert _state() == before


WRITES = [(m, u, b) for m, u, b in ITEM_URLS if m == "post" or "edit" in u or "delete" in u or "new" in u]


@pytest.mark.parametrize("method, url, body", WRITES)
@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_a_reader_gets_403_on_every_write_url_and_changes_nothing(client, product, role, method, url, body):
    initiative, item, edge = _house(product)
    client.force_login(member(product.portfolio, role))
    before = _state()
    ids = dict(product=product.id, item=item.id, initiative=initiative.id, edge=edge.id, portfolio=product.portfolio_id)
    assert _call(client, method, url, body, **ids).status_code == 403
    assert _state() == before


ABSURD_ITEM_INPUT = [
    ({"reach": "1e9999999"}, "reach"),
    ({"reach": "99999999999999999999"}, "reach"),
    ({"confidence": "²"}, "confidence"),
    ({"effort": "1e9999999"}, "effort"),
    ({"effort": "99999999999999999999"}, "effort"),
    ({"job_size": "NaN"}, "job_size"),
    ({"value": "-1"}, "value"),
    ({"title": "Off\x00line"}, "title"),
    ({"description": "a\x00b"}, "description"),
    ({"regulation": "GDPR\x00"}, "regulation"),
    ({"title": "x" * 201}, "title"),
    ({"description": "x" * 20_001}, "description"),
    ({"start_date": "0001-01-01"}, "start_date"),
    ({"end_date": "9999-12-31"}, "end_date"),
    ({"start_date": "99999-01-01"}, "start_date"),
    ({"end_date": "2026-02-30"}, "end_date"),
    ({"kind": "epic\x00"}, "kind"),
    ({"parent": "99999999999999999999"}, "parent"),
    ({"parent": "{foreign_parent}"}, "parent"),
    ({"release": "{foreign_release}"}, "release"),
    ({"owner": "{stranger}"}, "owner"),
    ({"key_result": "²"}, "key_result"),
    ({"ideas": "{foreign_idea}"}, "ideas"),
    ({"feedback": "1e5"}, "feedback"),
]


def _foreign_ids(product):
    """Ids of another portfolio's parent, release, idea and a user who is no member of this portfolio."""
    elsewhere = ProductFactory()
    return {
        "foreign_parent": RoadmapItemFactory(product=elsewhere, kind="initiative").id,
        "foreign_release": ReleaseFactory(product=elsewhere).id,
        "foreign_idea": Idea.objects.create(product=elsewhere, title="Theirs").id,
        "stranger": member(elsewhere.portfolio, Role.PRODUCT_MANAGER).id,
    }


@pytest.mark.parametrize("change, field", ABSURD_ITEM_INPUT)
def test_absurd_item_input_is_a_field_error_on_create_and_edit_and_writes_nothing(
    client, product, manager, change, field
):
    ids = _foreign_ids(product)
    item = RoadmapItemFactory(product=product, title="Mine")
    body = {**VALID, **{k: v.format(**ids) for k, v in change.items()}}
    before = _state()
    for url in (f"/roadmap-items/new/?product={product.id}", f"/roadmap-items/{item.id}/edit/"):
        response = client.post(url, body)
        assert response.status_code == 400, url
        assert response.context["form"].errors.get(field), (url, response.context["form"].errors)
    assert _state() == before


def test_a_planning_date_outside_1900_to_2200_says_the_services_range(client, product, manager):
    response = client.post(f"/roadmap-items/new/?product={product.id}", {**VALID, "start_date": "0001-01-01"})
    assert "A date between the years 1900 and 2200." in _field_errors(_text(response), "start_date")


@pytest.mark.parametrize(
    "depends_on", ["²", "99999999999999999999", "1e9999999", "\x00", "", "{foreign}", "{self}", "-1"]
)
def test_absurd_dependency_input_is_a_field_error_and_writes_nothing(client, product, manager, depends_on):
    item = RoadmapItemFactory(product=product)
    RoadmapItemFactory(product=product, title="Other")
    foreign = RoadmapItemFactory()
    before = _state()
    response = client.post(
        f"/roadmap-items/{item.id}/dependencies/",
        {"depends_on": depends_on.format(foreign=foreign.id, self=item.id), "kind": "blocks"},
    )
    assert response.status_code == 400
    assert _field_errors(_text(response), "depends_on")
    assert _state() == before
    response = client.post(f"/roadmap-items/{item.id}/dependencies/", {"depends_on": foreign.id, "kind": "x\x00"})
    assert response.status_code == 400 and _field_errors(_text(response), "kind")


@pytest.mark.parametrize("query", ["?parent=²", "?parent=99999999999999999999", "?kind=%00", "?horizon=1e9999999"])
def test_the_new_item_page_ignores_an_absurd_preset(client, product, manager, query):
    response = client.get(f"/roadmap-items/new/{query}&product={product.id}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query", ["?product=²", "?product=99999999999999999999", "?release=²", "?search=%00", "?page=²", "?sort=%00"]
)
def test_the_items_table_survives_absurd_filters(client, product, manager, query):
    RoadmapItemFactory(product=product, title="Listed")
    url = f"/portfolios/{product.portfolio_id}/roadmap/items/{query}"
    response = client.get(url)
    assert response.status_code == 200 and "Listed" in _text(response)
    assert client.get(url + "&format=csv").status_code in (200, 400)


def _form_choices(product, manager, n: int):
    """n of every choice the item form lists: parents, releases, members, key results, ideas, feedback."""
    from products.models import Goal, KeyResult

    for i in range(n):
        RoadmapItemFactory(product=product, kind="initiative", title=f"Parent {i}")
        ReleaseFactory(product=product, target_date=date(2026, 6, 1))
        MembershipFactory(portfolio=product.portfolio, role=Role.VIEWER)
        goal = Goal.objects.create(
            product=product, title=f"Goal {i}", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
        KeyResult.objects.create(goal=goal, title=f"KR {i}", target_value=10)
        Idea.objects.create(product=product, title=f"Idea {i}")
        Feedback.objects.create(product=product, text=f"Ask {i}", received_on=date(2026, 3, 1))
    item = RoadmapItemFactory(product=product, kind="feature", title="Edited", owner=manager)
    item.ideas.add(*Idea.objects.filter(product=product))
    item.feedback.add(*Feedback.objects.filter(product=product))
    return item


def test_item_form_pages_query_count_does_not_grow_with_their_choices(client, manager):
    small, large = ProductFactory(), ProductFactory()
    counts = {}
    for name, product, n in (("1x", small, 2), ("10x", large, 20)):
        MembershipFactory(portfolio=product.portfolio, user=manager, role=Role.PRODUCT_MANAGER)
        item = _form_choices(product, manager, n)
        counts[name] = (
            _count(client, f"/roadmap-items/new/?product={product.id}&kind=requirement"),
            _count(client, f"/roadmap-items/{item.id}/edit/"),
        )
    assert counts["1x"] == counts["10x"], counts
