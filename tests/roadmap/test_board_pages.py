"""The now/next/later board pages (roadmap/board_views.py, roadmap/board.py) and the move they make."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import DomainEvent, Feedback, Role
from roadmap.models import RoadmapDependency, RoadmapItem
from tests.factories import (
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    ReleaseFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Insight Hub")


@pytest.fixture
def manager(client, portfolio):
    user = member(portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


def column(product, horizon, *titles, **fields):
    """Items of one column, ranked in the order given."""
    return [
        RoadmapItemFactory(product=product, horizon=horizon, rank=rank, title=title, **fields)
        for rank, title in enumerate(titles)
    ]


def saved_order(product, horizon) -> list[str]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon).order_by("rank").values_list("title", flat=True)
    )


def ranks(product, horizon) -> list[int]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon).order_by("rank").values_list("rank", flat=True)
    )


def shown_order(html: str, horizon: str, product_id: int) -> list[str]:
    """The card titles of one column of the page, top to bottom."""
    start = html.index(f'data-horizon="{horizon}" data-label')
    start = html.index(f'data-product-id="{product_id}"', start)
    section = html[start : html.index("</section>", start)]
    return re.findall(r'class="rm-title"[^>]*>([^<]+)</a>', section)


def move(client, item, horizon, before="", **extra):
    return client.post(f"/roadmap-items/{item.id}/move/", {"horizon": horizon, "before": before, **extra})


def htmx_move(client, item, horizon, before="", query="", **extra):
    url = f"/roadmap-items/{item.id}/move/" + (f"?{query}" if query else "")
    return client.post(url, {"horizon": horizon, "before": before, **extra}, HTTP_HX_REQUEST="true")


# --- the product board ----------------------------------------------------------------------------------


def test_product_board_shows_each_column_in_rank_order(client, product, manager):
    column(product, "now", "Alpha", "Beta", "Gamma")
    column(product, "later", "Zulu", "Yankee")
    RoadmapItem.objects.filter(title="Alpha").update(rank=5)  # ranks order the column, not ids
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    assert shown_order(page, "now", product.id) == ["Beta", "Gamma", "Alpha"]
    assert shown_order(page, "next", product.id) == []
    assert shown_order(page, "later", product.id) == ["Zulu", "Yankee"]
    assert "Nothing in Next yet. Drag a card here, or add an item." in page


def test_card_shows_kind_status_release_owner_parent_score_and_feedback(client, product, manager):
    release = ReleaseFactory(product=product, version="3.5")
    parent = RoadmapItemFactory(product=product, kind="initiative", title="Self-serve onboarding", horizon="now")
    item = RoadmapItemFactory(
        product=product,
        title="Guided first dashboard",
        horizon="now",
        rank=1,
        parent=parent,
        release=release,
        owner=manager,
        status="in_progress",
        reach=1000,
        impact=2,
        confidence=80,
        effort=2,
    )
    feedback = [
        Feedback.objects.create(product=product, text=f"Want it {n}", received_on=date(2026, 1, n + 1))
        for n in range(2)
    ]
    item.feedback.set(feedback)
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    card = page[page.index(f'id="card-{item.id}"') :]
    card = card[: card.index("</li>")]
    assert "Feature" in card and "In progress" in card and "v3.5" in card
    assert manager.username in card and "in Self-serve onboarding" in card
    assert "RICE 800" in card and "2 feedback" in card
    assert f'href="/roadmap-items/{item.id}/"' in card


def test_score_shown_is_the_one_chosen(client, product, manager):
    RoadmapItemFactory(
        product=product, horizon="now", business_value=8, time_criticality=5, risk_reduction=3, job_size=4
    )
    page = client.get(f"/products/{product.id}/roadmap/?score=wsjf_score").content.decode()
    assert "WSJF 4" in page and "RICE" not in page.split('id="roadmap-board"')[1]
    assert "RICE —" in client.get(f"/products/{product.id}/roadmap/").content.decode()


def test_item_planned_before_its_prerequisite_carries_a_warning(client, product, manager):
    prerequisite = RoadmapItemFactory(product=product, title="Metrics API", horizon="later")
    item = RoadmapItemFactory(product=product, title="Public dashboards", horizon="now")
    RoadmapDependency.objects.create(item=item, depends_on=prerequisite, kind="blocks")
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    assert "Depends on “Metrics API”: it is in Now, “Metrics API” in Later." in page
    assert page.count("rm-warning") == 1


def test_filters_narrow_by_kind_status_and_release(client, product, manager):
    release = ReleaseFactory(product=product, version="2.0")
    column(product, "now", "Initiative A", kind="initiative")
    RoadmapItemFactory(product=product, horizon="now", rank=1, title="Feature in 2.0", release=release)
    RoadmapItemFactory(product=product, horizon="now", rank=2, title="Planned feature", status="planned")
    url = f"/products/{product.id}/roadmap/"
    assert shown_order(client.get(f"{url}?kind=initiative").content.decode(), "now", product.id) == ["Initiative A"]
    assert shown_order(client.get(f"{url}?status=planned").content.decode(), "now", product.id) == ["Planned feature"]
    assert shown_order(client.get(f"{url}?release={release.id}").content.decode(), "now", product.id) == [
        "Feature in 2.0"
    ]


def test_done_items_show_muted_unless_hidden(client, product, manager):
    RoadmapItemFactory(product=product, horizon="now", title="Shipped thing", status="done")
    RoadmapItemFactory(product=product, horizon="now", rank=1, title="Open thing")
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    assert shown_order(page, "now", product.id) == ["Shipped thing", "Open thing"]
    assert "is-finished" in page
    page = client.get(f"/products/{product.id}/roadmap/?hide_finished=on").content.decode()
    assert shown_order(page, "now", product.id) == ["Open thing"]
    assert '<span class="rm-of"> of 2</span>' in page  # the column says one of its two items is hidden


def test_a_filter_value_that_is_not_valid_is_ignored(client, product, manager):
    column(product, "now", "Alpha")
    response = client.get(f"/products/{product.id}/roadmap/?kind=epic&release=999999&score=nonsense")
    assert response.status_code == 200
    assert shown_order(response.content.decode(), "now", product.id) == ["Alpha"]


def test_writers_get_add_links_and_move_buttons(client, product, manager):
    column(product, "next", "Alpha", "Beta")
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    assert f"/roadmap-items/new/?product={product.id}&amp;horizon=later" in page
    assert 'aria-label="Move “Beta” up"' in page and 'aria-label="Move “Beta” to Now"' in page
    assert 'aria-label="Move “Alpha” to Later"' in page and 'draggable="true"' in page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_see_the_board_without_move_controls(client, portfolio, product, role):
    column(product, "next", "Alpha", "Beta")
    client.force_login(member(portfolio, role))
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    assert shown_order(page, "next", product.id) == ["Alpha", "Beta"]
    assert 'draggable="true"' not in page and "rm-move" not in page and "/roadmap-items/new/" not in page


# --- the portfolio board --------------------------------------------------------------------------------


def test_portfolio_board_has_a_lane_per_product(client, portfolio, product, manager):
    other = ProductFactory(portfolio=portfolio, name="Pulse Alerts")
    column(product, "now", "Hub item")
    column(other, "now", "Pulse item")
    ProductFactory(portfolio=portfolio, name="Empty One")
    page = client.get(f"/portfolios/{portfolio.id}/roadmap/").content.decode()
    assert shown_order(page, "now", product.id) == ["Hub item"]
    assert shown_order(page, "now", other.id) == ["Pulse item"]
    assert "Empty One" in page and "No roadmap items yet." in page


def test_portfolio_board_filters_by_product_line_and_product(client, portfolio, product, manager):
    line = ProductLineFactory(portfolio=portfolio, name="Mobile")
    mobile = ProductFactory(portfolio=portfolio, name="FieldKit", product_line=line)
    column(product, "now", "Hub item")
    column(mobile, "now", "Field item")
    url = f"/portfolios/{portfolio.id}/roadmap/"
    page = client.get(f"{url}?product_line={line.id}").content.decode()
    assert "Field item" in page and "Hub item" not in page
    page = client.get(f"{url}?product={product.id}").content.decode()
    assert "Hub item" in page and "Field item" not in page


def test_portfolio_board_leaves_out_archived_products(client, portfolio, product, manager):
    from django.utils import timezone

    ProductFactory(portfolio=portfolio, name="Old Thing", archived_at=timezone.now())
    assert "Old Thing" not in client.get(f"/portfolios/{portfolio.id}/roadmap/").content.decode()


def test_portfolio_board_without_products_says_what_to_do(client, portfolio, manager):
    page = client.get(f"/portfolios/{portfolio.id}/roadmap/").content.decode()
    assert "No products yet" in page and "Create a product" in page


# --- moving ----------------------------------------------------------------------------------------------


def test_move_before_a_card_in_the_middle(client, product, manager):
    a, b, c, d = column(product, "now", "A", "B", "C", "D")
    assert move(client, d, "now", before=b.id).status_code == 302
    assert saved_order(product, "now") == ["A", "D", "B", "C"]
    assert ranks(product, "now") == [0, 1, 2, 3]


def test_move_down_within_the_column(client, product, manager):
    a, b, c = column(product, "now", "A", "B", "C")
    move(client, a, "now", before=c.id)
    assert saved_order(product, "now") == ["B", "A", "C"]


def test_move_with_empty_before_goes_to_the_end(client, product, manager):
    a, b, c = column(product, "now", "A", "B", "C")
    move(client, a, "now", before="")
    assert saved_order(product, "now") == ["B", "C", "A"]


def test_move_to_another_column_closes_the_gap(client, product, manager):
    a, b, c = column(product, "next", "A", "B", "C")
    (x,) = column(product, "now", "X")
    move(client, b, "now", before=x.id)
    assert saved_order(product, "now") == ["B", "X"]
    assert saved_order(product, "next") == ["A", "C"] and ranks(product, "next") == [0, 1]
    event = DomainEvent.objects.filter(verb="roadmap_item.moved").get()
    assert event.changes == {"horizon": ["next", "now"], "rank": [1, 0]}


def test_move_counts_the_items_a_filter_hides(client, product, manager):
    # The board hides done items; "before B" must land between the hidden A and B, not at position 0.
    a, b, c = column(product, "now", "A", "B", "C")
    RoadmapItem.objects.filter(pk=a.pk).update(status="done")
    (x,) = column(product, "later", "X")
    htmx_move(client, x, "now", before=b.id, query="hide_finished=on")
    assert saved_order(product, "now") == ["A", "X", "B", "C"]


def test_move_from_a_card_button_without_javascript(client, product, manager):
    a, b = column(product, "now", "A", "B")
    response = client.post(
        f"/roadmap-items/{b.id}/move/", {"move": f"now:{a.id}", "next": f"/products/{product.id}/roadmap/?kind=feature"}
    )
    assert response.status_code == 302 and response["Location"] == f"/products/{product.id}/roadmap/?kind=feature"
    assert saved_order(product, "now") == ["B", "A"]
    page = client.get(response["Location"]).content.decode()
    assert "Moved “B” to Now, position 1." in page


def test_move_redirect_ignores_a_foreign_next(client, product, manager):
    (a,) = column(product, "now", "A")
    response = move(client, a, "next", next="https://evil.example/")
    assert response["Location"] == f"/products/{product.id}/roadmap/"


def test_htmx_move_answers_the_product_board_fragment(client, product, manager):
    a, b = column(product, "next", "A", "B")
    response = htmx_move(client, b, "now", board="product", query="score=wsjf_score")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="roadmap-board"') and "<html" not in html
    assert 'id="roadmap-board"' in html and 'data-announce="Moved “B” to Now, position 1."' in html
    assert shown_order(html, "now", product.id) == ["B"] and shown_order(html, "next", product.id) == ["A"]
    assert "WSJF" in html  # the page's filters come along in the query string
    assert f'name="next" value="/products/{product.id}/roadmap/?score=wsjf_score"' in html


def test_htmx_move_on_the_portfolio_board_answers_the_lane(client, portfolio, product, manager):
    other = ProductFactory(portfolio=portfolio, name="Pulse Alerts")
    column(other, "now", "Pulse item")
    a, b = column(product, "later", "A", "B")
    html = htmx_move(client, a, "later", board="portfolio").content.decode()
    assert html.lstrip().startswith(f'<section id="lane-{product.id}"')
    assert shown_order(html, "later", product.id) == ["B", "A"]
    assert "Pulse item" not in html
    assert f'name="next" value="/portfolios/{portfolio.id}/roadmap/"' in html


def test_a_stale_before_moves_nothing_and_shows_the_latest_board(client, product, manager):
    a, b = column(product, "now", "A", "B")
    (elsewhere,) = column(product, "later", "Elsewhere")
    response = htmx_move(client, a, "now", before=elsewhere.id, board="product")
    assert response.status_code == 409
    assert "Nothing was moved" in response.content.decode() and 'id="roadmap-board"' in response.content.decode()
    assert saved_order(product, "now") == ["A", "B"]
    response = move(client, a, "now", before=elsewhere.id)  # without JavaScript: back to the board, with a message
    assert response.status_code == 302
    assert "Nothing was moved" in client.get(response["Location"]).content.decode()
    assert not DomainEvent.objects.filter(verb="roadmap_item.moved").exists()


@pytest.mark.parametrize(
    "body",
    [{"horizon": "soon", "before": ""}, {"horizon": "now", "before": "x1"}, {"move": "soon:"}, {}],
)
def test_bad_move_input_is_400_and_moves_nothing(client, product, manager, body):
    a, b = column(product, "later", "A", "B")
    response = client.post(f"/roadmap-items/{b.id}/move/", body)
    assert response.status_code == 400
    assert "Nothing was moved" in response.content.decode()
    assert saved_order(product, "later") == ["A", "B"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_cannot_move(client, portfolio, product, role):
    a, b = column(product, "next", "A", "B")
    client.force_login(member(portfolio, role))
    assert move(client, b, "now").status_code == 403
    assert htmx_move(client, b, "now").status_code == 403
    assert saved_order(product, "next") == ["A", "B"] and not RoadmapItem.objects.filter(horizon="now").exists()


def test_another_portfolios_item_is_not_found(client, product, manager):
    foreign = RoadmapItemFactory(product=ProductFactory(), horizon="next", title="Foreign")
    assert move(client, foreign, "now").status_code == 404
    assert client.get(f"/products/{foreign.product_id}/roadmap/").status_code == 404
    assert client.get(f"/portfolios/{foreign.product.portfolio_id}/roadmap/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.horizon == "next"


def test_move_is_post_only(client, product, manager):
    (a,) = column(product, "now", "A")
    assert client.get(f"/roadmap-items/{a.id}/move/").status_code == 405


# --- query counts at 10x data ------------------------------------------------------------------------------


def _fill(portfolio, products: int, items: int, prefix: str = "Product"):
    """`products` products of `items` items each, with releases, owners, parents, feedback and dependencies."""
    owner = member(portfolio, Role.PRODUCT_MANAGER)
    line = ProductLineFactory(portfolio=portfolio)
    made = []
    for p in range(products):
        product = ProductFactory(portfolio=portfolio, product_line=line if p % 2 else None, name=f"{prefix} {p:03}")
        release = ReleaseFactory(product=product)
        parent = None
        previous = None
        for n in range(items):
            horizon = ("now", "next", "later")[n % 3]
            item = RoadmapItemFactory(
                product=product,
                horizon=horizon,
                rank=n // 3,
                kind="initiative" if parent is None else "feature",
                parent=parent,
                release=release if n % 2 else None,
                owner=owner,
                reach=100,
                impact=1,
                confidence=50,
                effort=n + 1,
                status="done" if n % 5 == 4 else "planned",
            )
            parent = parent or item
            if previous is not None:
                RoadmapDependency.objects.create(item=previous, depends_on=item, kind="blocks")
            item.feedback.add(Feedback.objects.create(product=product, text="Want", received_on=date(2026, 1, 1)))
            previous = item
        made.append(product)
    return made


def _queries(client, url) -> int:
    client.get(url)  # the first visit stores the portfolio in the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_product_board_queries_do_not_grow_with_its_items(client, portfolio, manager):
    small = _fill(portfolio, 1, 3, prefix="Small")[0]
    big = _fill(portfolio, 1, 30, prefix="Big")[0]
    counts = [_queries(client, f"/products/{p.id}/roadmap/") for p in (small, big)]
    assert counts[0] == counts[1] <= 12, counts


def test_portfolio_board_queries_do_not_grow_with_products_and_items(client, manager):
    small, big = PortfolioFactory(), PortfolioFactory()
    for portfolio in (small, big):
        MembershipFactory(portfolio=portfolio, user=manager, role=Role.PRODUCT_MANAGER)
    _fill(small, 2, 3)
    _fill(big, 20, 30)
    counts = [_queries(client, f"/portfolios/{p.id}/roadmap/") for p in (small, big)]
    assert counts[0] == counts[1] <= 14, counts


def test_htmx_move_queries_do_not_grow_with_the_board(client, portfolio, manager):
    small = _fill(portfolio, 1, 6, prefix="Small")[0]  # two items in Later, so both moves leave one behind
    big = _fill(portfolio, 1, 60, prefix="Big")[0]
    counts = []
    for product in (small, big):
        item = RoadmapItem.objects.filter(product=product, horizon="later").order_by("rank").first()
        with CaptureQueriesContext(connection) as queries:
            assert htmx_move(client, item, "now", board="product").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- concurrent drops (PostgreSQL: tests/integration's rules, deselected on SQLite) -------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_a_drop_before_a_card_holds_while_another_move_changes_the_column(attempt):
    import threading

    from roadmap import services

    product = ProductFactory()
    a, b, c, d = column(product, "now", "A", "B", "C", "D")
    (x,) = column(product, "later", "X")
    barrier = threading.Barrier(2)
    failures = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    calls = [
        lambda: services.roadmap_item_move_before(item_id=x.id, horizon="now", before_id=c.id),
        lambda: services.roadmap_item_move_before(item_id=a.id, horizon="later", before_id=None),
    ]
    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    # Read after the product's lock, "before C" stays before C whichever move went first.
    assert saved_order(product, "now") == ["B", "X", "C", "D"]
    assert ranks(product, "now") == [0, 1, 2, 3] and saved_order(product, "later") == ["A"]


def test_an_empty_product_board_says_how_to_start(client, product, manager):
    page = client.get(f"/products/{product.id}/roadmap/").content.decode()
    assert "No roadmap items yet" in page
    assert f'href="/roadmap-items/new/?product={product.id}&amp;horizon=now">add the first item</a>' in page


def test_portfolio_board_adds_items_through_a_product_choice(client, portfolio, product):
    client.force_login(member(portfolio, Role.PRODUCT_MANAGER))
    page = client.get(f"/portfolios/{portfolio.id}/roadmap/").content.decode()
    assert f'<option value="{product.id}">' in page
    assert "?portfolio=" not in page  # the item form needs a product: a bare portfolio link was a 404


# --- review: who may write, and input no page should choke on -------------------------------------------


def _board_state():
    return (
        list(RoadmapItem.objects.order_by("id").values_list("id", "horizon", "rank")),
        DomainEvent.objects.count(),
    )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER, None])
def test_every_board_url_refuses_readers_and_hides_from_other_portfolios(client, portfolio, product, role):
    """A reader sees the boards without controls and gets 403 on a move; a member of another portfolio
    (role None) gets 404 on every URL. Nothing changes either way, with or without htmx."""
    a, b = column(product, "next", "A", "B")
    client.force_login(member(portfolio, role))
    before = _board_state()
    read_status, write_status = (404, 404) if role is None else (200, 403)
    for url in (f"/products/{product.id}/roadmap/", f"/portfolios/{portfolio.id}/roadmap/"):
        response = client.get(url)
        assert response.status_code == read_status, url
        if read_status == 200:
            assert "/move/" not in response.content.decode(), url
    bodies = ({"horizon": "now", "before": a.id}, {"move": f"now:{a.id}"}, {"horizon": "later", "board": "portfolio"})
    for body in bodies:
        assert client.post(f"/roadmap-items/{b.id}/move/", body).status_code == write_status, body
        assert htmx_move(client, b, "now", before=a.id).status_code == write_status
    assert _board_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"horizon": "now", "before": "²"},  # a digit to str.isdigit, not to int()
        {"move": "now:²"},
        {"horizon": "now", "before": "99999999999999999999"},
        {"horizon": "now", "before": "1e9999999"},
        {"horizon": "now", "before": "-1"},
        {"horizon": "now\x00", "before": ""},
        {"horizon": "now", "before": "1\x00"},
        {"horizon": "x" * 10_000},
    ],
)
def test_absurd_move_input_is_400_with_the_field_and_moves_nothing(client, product, manager, body):
    column(product, "later", "A", "B")
    before = _board_state()
    response = client.post(f"/roadmap-items/{RoadmapItem.objects.get(title='B').id}/move/", body)
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith("Nothing was moved. ") and ("before:" in text or "horizon:" in text)
    assert "invalid literal" not in text
    assert _board_state() == before


def test_move_before_a_card_of_another_portfolio_moves_nothing(client, product, manager):
    a, b = column(product, "later", "A", "B")
    foreign = RoadmapItemFactory(horizon="now")
    before = _board_state()
    assert move(client, b, "now", before=foreign.id).status_code == 302  # back to the board, with the refusal
    assert htmx_move(client, b, "now", before=foreign.id).status_code == 409
    assert _board_state() == before


@pytest.mark.parametrize(
    "query", ["?release=²", "?release=99999999999999999999", "?kind=%00", "?product=²", "?product_line=1e9999999"]
)
def test_boards_ignore_absurd_filters(client, portfolio, product, manager, query):
    column(product, "now", "Shown")
    for url in (f"/products/{product.id}/roadmap/{query}", f"/portfolios/{portfolio.id}/roadmap/{query}"):
        response = client.get(url)
        assert response.status_code == 200 and "Shown" in response.content.decode(), url
