"""The roadmap timeline and value/effort matrix: layout maths, drawing, filters, access, query counts."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import Role
from roadmap import matrix, timeline
from roadmap.models import RoadmapDependency
from tests.factories import ProductFactory, ReleaseFactory, RoadmapItemFactory, member

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def fake_item(pk=1, *, start=None, end=None, release=None, status="planned", kind="feature", parent=None, product=1):
    """An item as the layout reads it, without the database."""
    return SimpleNamespace(
        pk=pk,
        id=pk,
        title=f"Item {pk}",
        kind=kind,
        status=status,
        start_date=start,
        end_date=end,
        release=release,
        parent_id=parent,
        product_id=product,
        product=SimpleNamespace(pk=product, name=f"Product {product}"),
    )


class FakeRelease(SimpleNamespace):
    def __str__(self):
        return self.version


def fake_release(version="2.0", target=None, status="planned", product=1):
    return FakeRelease(
        version=version,
        target_date=target,
        status=status,
        product_id=product,
        product=SimpleNamespace(pk=product, name=f"Product {product}"),
        url="/releases/1/",
    )


def edge(item, depends_on, kind="blocks"):
    return SimpleNamespace(item_id=item.pk, depends_on=depends_on, kind=kind)


# --- months and bars -------------------------------------------------------------------------------------


def test_months_are_laid_out_side_by_side_with_days_in_proportion():
    axis = timeline.Axis(date(2026, 1, 1), date(2026, 12, 1))
    width = axis.month_width
    assert width == 1040 // 12
    assert axis.x(date(2026, 1, 1)) == 0
    assert axis.x(date(2026, 3, 1)) == 2 * width
    assert axis.x(date(2026, 3, 16)) == pytest.approx((2 + 15 / 31) * width)
    assert axis.width == 12 * width


def test_a_long_range_keeps_months_readable_and_grows_wider():
    axis = timeline.Axis(date(2025, 1, 1), date(2027, 12, 1))
    assert axis.month_width == timeline.MONTH_MIN
    assert axis.width == 36 * timeline.MONTH_MIN


def test_a_bar_runs_from_its_start_day_to_the_end_of_its_end_day():
    axis = timeline.Axis(date(2026, 1, 1), date(2026, 6, 1))
    span = timeline.item_span(fake_item(start=date(2026, 2, 1), end=date(2026, 2, 28)), today=TODAY)
    assert span == timeline.Span(date(2026, 2, 1), date(2026, 2, 28))
    assert axis.bar(span) == (axis.month_width, 2 * axis.month_width)


def test_a_bar_beyond_the_range_is_cut_at_its_edges():
    axis = timeline.Axis(date(2026, 3, 1), date(2026, 8, 1))
    span = timeline.Span(date(2025, 11, 1), date(2027, 2, 1))
    assert axis.bar(span) == (0.0, axis.width)


def test_an_item_with_only_a_release_ends_at_its_target_and_starts_this_month_estimated():
    release = fake_release(target=date(2026, 6, 15))
    span = timeline.item_span(fake_item(release=release), today=TODAY)
    assert span.start == date(2026, 3, 1) and span.end == date(2026, 6, 15)
    assert span.estimated and "release 2.0" in span.basis


def test_a_release_only_bar_starts_on_the_start_date_when_that_is_later_than_this_month():
    release = fake_release(target=date(2026, 6, 15))
    later = timeline.item_span(fake_item(start=date(2026, 4, 20), release=release), today=TODAY)
    earlier = timeline.item_span(fake_item(start=date(2025, 12, 1), release=release), today=TODAY)
    assert later.start == date(2026, 4, 20)
    assert earlier.start == date(2026, 3, 1)


def test_a_release_only_bar_of_an_overdue_release_covers_the_release_month():
    release = fake_release(target=date(2026, 1, 20))
    span = timeline.item_span(fake_item(release=release), today=TODAY)
    assert (span.start, span.end) == (date(2026, 1, 1), date(2026, 1, 20))


def test_dates_of_their_own_win_over_the_release():
    release = fake_release(target=date(2026, 6, 15))
    span = timeline.item_span(fake_item(start=date(2026, 4, 1), end=date(2026, 5, 1), release=release), today=TODAY)
    assert span == timeline.Span(date(2026, 4, 1), date(2026, 5, 1))


def test_items_without_dates_or_a_dated_release_are_unscheduled():
    no_target = fake_release(target=None)
    items = [fake_item(1), fake_item(2, release=no_target), fake_item(3, start=date(2026, 3, 2), end=date(2026, 4, 1))]
    assert timeline.item_span(items[0], today=TODAY) is None
    assert timeline.item_span(items[1], today=TODAY) is None
    chart = timeline.build(items, [], [], today=TODAY)
    assert [i.pk for i in chart.unscheduled] == [1, 2]
    assert [r.item.pk for r in chart.item_rows] == [3]


def test_the_default_range_starts_a_month_back_and_covers_six_months_at_least():
    first, last = timeline.default_range([], [], today=TODAY)
    assert (first, last) == (date(2026, 2, 1), date(2026, 7, 1))


def test_the_default_range_runs_from_the_earliest_start_to_the_latest_end_or_release():
    spans = [timeline.Span(date(2025, 10, 5), date(2026, 4, 1)), timeline.Span(date(2026, 5, 1), date(2026, 9, 30))]
    first, last = timeline.default_range(spans, [date(2027, 1, 15)], today=TODAY)
    assert (first, last) == (date(2025, 10, 1), date(2027, 1, 1))


def test_the_default_range_looks_back_a_year_at_most():
    spans = [timeline.Span(date(2023, 1, 1), date(2026, 4, 1))]
    first, _ = timeline.default_range(spans, [], today=TODAY)
    assert first == date(2025, 3, 1)


def test_a_chosen_first_month_keeps_six_months_at_least():
    items = [fake_item(1, start=date(2026, 3, 2), end=date(2026, 4, 1))]
    chart = timeline.build(items, [], [], today=TODAY, first=date(2026, 9, 1))
    assert (chart.axis.first, chart.axis.last) == (date(2026, 9, 1), date(2027, 2, 1))
    assert chart.outside == 1 and not chart.rows


def test_rows_are_grouped_by_product_then_parent_and_indented():
    items = [
        fake_item(3, kind="requirement", parent=2, start=date(2026, 4, 1), end=date(2026, 4, 30)),
        fake_item(2, kind="feature", parent=1, start=date(2026, 3, 1), end=date(2026, 5, 31)),
        fake_item(1, kind="initiative", start=date(2026, 3, 1), end=date(2026, 8, 31)),
        fake_item(4, kind="feature", product=2, start=date(2026, 3, 1), end=date(2026, 3, 31)),
    ]
    chart = timeline.build(items, [], [], today=TODAY)
    assert [(r.is_group, r.item.pk if r.item else r.product.pk, r.depth) for r in chart.rows] == [
        (True, 1, 0),
        (False, 1, 0),
        (False, 2, 1),
        (False, 3, 2),
        (True, 2, 0),
        (False, 4, 0),
    ]
    assert chart.rows[1].top == timeline.AXIS_H + timeline.GROUP_H
    assert chart.rows[2].top == timeline.AXIS_H + timeline.GROUP_H + timeline.ROW_H


def test_a_parent_without_dates_heads_its_scheduled_children_and_is_listed_unscheduled():
    items = [fake_item(1, kind="initiative"), fake_item(2, parent=1, start=date(2026, 4, 1), end=date(2026, 4, 9))]
    chart = timeline.build(items, [], [], today=TODAY)
    assert [(r.item.pk, r.shown, r.depth) for r in chart.item_rows] == [(1, False, 0), (2, True, 1)]
    assert [i.pk for i in chart.unscheduled] == [1]


def test_a_release_without_a_target_date_is_not_drawn():
    dated, undated = fake_release("1.0", date(2026, 5, 4)), fake_release("1.1", None)
    items = [fake_item(1, start=date(2026, 3, 2), end=date(2026, 4, 1))]
    chart = timeline.build(items, [dated, undated], [], today=TODAY)
    group = chart.rows[0]
    assert [m.release.version for m in group.milestones] == ["1.0"]
    assert group.milestones[0].x == pytest.approx(chart.axis.x(date(2026, 5, 4)))


def test_release_labels_never_cover_a_diamond_or_another_label():
    days = (1, 3, 5, 7, 20, 21)
    releases = [fake_release(f"1.{d}", date(2026, 5, d)) for d in days]
    chart = timeline.build([], releases, [], today=TODAY)
    milestones = chart.rows[0].milestones
    assert (milestones[0].level, milestones[0].side) == (0, "left")  # its right is another diamond
    assert milestones[1].level is None  # boxed in by diamonds on both sides

    def extent(m):
        width = timeline._label_width(m.release.version)
        start = m.x + timeline.DIAMOND + 2 if m.side == "right" else m.x - timeline.DIAMOND - 2 - width
        return start, start + width

    labels = [(m.level, *extent(m)) for m in milestones if m.level is not None]
    assert len(labels) >= 3
    for level, a, b in labels:
        assert all(b <= m.x - timeline.DIAMOND or a >= m.x + timeline.DIAMOND for m in milestones)
        assert all(b <= a2 or a >= b2 for level2, a2, b2 in labels if level2 == level and (a2, b2) != (a, b))


# --- arrows ------------------------------------------------------------------------------------------------


def test_an_arrow_runs_from_the_prerequisites_end_to_the_dependents_start():
    first = fake_item(1, start=date(2026, 3, 1), end=date(2026, 3, 31))
    second = fake_item(2, start=date(2026, 4, 1), end=date(2026, 4, 30))
    chart = timeline.build([first, second], [], [edge(second, first)], today=TODAY)
    (arrow,) = chart.arrows
    assert (arrow.source.item.pk, arrow.target.item.pk, arrow.warn) == (1, 2, False)
    path = timeline._arrow_path(arrow, chart.axis)
    x_end = chart.axis.x(date(2026, 4, 1))
    assert path.startswith(f"M{timeline._f(x_end)},") and path.endswith(f"H{timeline._f(x_end)}")


def test_a_dependent_that_starts_before_its_blocker_ends_is_a_warning():
    blocker = fake_item(1, start=date(2026, 3, 1), end=date(2026, 4, 30))
    early = fake_item(2, start=date(2026, 4, 1), end=date(2026, 5, 30))
    chart = timeline.build([blocker, early], [], [edge(early, blocker)], today=TODAY)
    assert chart.arrows[0].warn and chart.warnings == 1
    assert chart.item_rows[1].depends_on[0].warn
    drawn = timeline.svg(chart, label="t")
    assert 'class="arrow blocks warn"' in drawn and 'marker-end="url(#tl-arrow-warn)"' in drawn


def test_relates_is_drawn_dashed_and_never_a_warning():
    one = fake_item(1, start=date(2026, 3, 1), end=date(2026, 4, 30))
    other = fake_item(2, start=date(2026, 4, 1), end=date(2026, 5, 30))
    chart = timeline.build([one, other], [], [edge(other, one, "relates")], today=TODAY)
    assert not chart.arrows[0].warn
    assert 'class="arrow relates"' in timeline.svg(chart, label="t")


def test_finished_items_are_no_warning():
    blocker = fake_item(1, start=date(2026, 3, 1), end=date(2026, 4, 30), status="done")
    early = fake_item(2, start=date(2026, 4, 1), end=date(2026, 5, 30))
    chart = timeline.build([blocker, early], [], [edge(early, blocker)], today=TODAY)
    assert not chart.arrows[0].warn


def test_an_edge_to_an_item_out_of_the_rows_is_listed_not_drawn():
    hidden = fake_item(9, kind="requirement", start=date(2026, 3, 1), end=date(2026, 5, 30))
    shown = fake_item(2, start=date(2026, 4, 1), end=date(2026, 6, 30))
    chart = timeline.build([shown], [], [edge(shown, hidden)], today=TODAY)
    assert chart.arrows == []
    dependency = chart.item_rows[0].depends_on[0]
    assert dependency.item.pk == 9 and dependency.warn and not dependency.drawn


def test_the_svg_has_no_style_and_every_bar_a_title_and_a_tab_stop():
    items = [
        fake_item(1, start=date(2026, 3, 1), end=date(2026, 4, 30)),
        fake_item(2, release=fake_release(target=date(2026, 5, 1))),
    ]
    drawn = timeline.svg(
        timeline.build(items, [fake_release(target=date(2026, 5, 1), status="shipped")], [], today=TODAY), label="t"
    )
    assert "<style" not in drawn and "style=" not in drawn and "<script" not in drawn
    assert drawn.count('class="bar" tabindex="0"><title>') == 2
    assert drawn.count("bar-fill s-planned estimated") == 1
    assert 'class="milestone shipped"' in drawn and ">2.0</text>" in drawn
    assert 'class="today"' in drawn


def test_the_css_row_heights_match_the_layout():
    css = (Path(settings.BASE_DIR) / "static/css/timeline.css").read_text()

    def height(selector):
        return int(re.search(re.escape(selector) + r" \{[^}]*?height: (\d+)px", css).group(1))

    assert height(".tl-head") == timeline.AXIS_H
    assert height(".tl-label") == timeline.ROW_H
    assert height(".tl-group") == timeline.GROUP_H


# --- the matrix ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, effort, expected",
    [
        (5, 3, "quick_wins"),  # on both medians: higher value, lower effort
        (6, 2, "quick_wins"),
        (5, Decimal("3.01"), "big_bets"),
        (9, 8, "big_bets"),
        (4, 3, "fill_ins"),
        (1, 1, "fill_ins"),
        (4, Decimal("3.5"), "money_pits"),
        (Decimal("4.99"), 9, "money_pits"),
    ],
)
def test_quadrants_split_at_the_medians(value, effort, expected):
    assert matrix.quadrant(value, effort, value_median=5, effort_median=3) == expected


def test_matrix_medians_come_from_the_plotted_items_only():
    items = [
        SimpleNamespace(pk=i, title=f"I{i}", value=v, effort=Decimal(e), url="/")
        for i, (v, e) in enumerate([(1, "1"), (2, "2"), (3, "3"), (4, "4")], 1)
    ] + [SimpleNamespace(pk=9, title="Unscored", value=None, effort=Decimal(1), url="/")]
    chart = matrix.build(items)
    assert chart.value_median == Decimal("2.5") and chart.effort_median == Decimal("2.5")
    assert {p.item.pk: p.quadrant for p in chart.points} == {
        1: "fill_ins",
        2: "fill_ins",
        3: "big_bets",
        4: "big_bets",
    }
    assert [i.pk for i in chart.not_plotted] == [9]
    # numbered in list order: quadrant, then value ÷ effort (best first)
    assert [p.number for p in chart.points] == [1, 2, 3, 4]


def test_matrix_points_on_one_spot_fan_out():
    items = [SimpleNamespace(pk=i, title=f"I{i}", value=3, effort=Decimal(2), url="/") for i in (1, 2)]
    drawn = matrix.svg(matrix.build(items), label="m")
    centres = set(re.findall(r'<circle class="marker[^"]*" cx="([\d.]+)" cy="([\d.]+)"', drawn))
    assert len(centres) == 2 * len(matrix.SIZES)


# --- the pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("roadmap.timeline_views.today_in", lambda portfolio: TODAY)
    return TODAY


@pytest.fixture
def product():
    return ProductFactory(name="Nebula")


def timeline_url(product, query=""):
    return f"/portfolios/{product.portfolio_id}/roadmap/timeline/{query}"


def matrix_url(product, query=""):
    return f"/portfolios/{product.portfolio_id}/roadmap/matrix/{query}"


def test_timeline_page_draws_rows_releases_arrows_and_the_table(client, product, today):
    release = ReleaseFactory(product=product, version="3.0", target_date=date(2026, 6, 1))
    initiative = RoadmapItemFactory(
        product=product,
        kind="initiative",
        title="Offline mode",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 6, 30),
    )
    sync = RoadmapItemFactory(
        product=product, parent=initiative, title="Sync engine", start_date=date(2026, 3, 1), end_date=date(2026, 4, 30)
    )
    ui = RoadmapItemFactory(product=product, parent=initiative, title="Conflict UI", release=release)
    RoadmapDependency.objects.create(item=ui, depends_on=sync, kind="blocks")
    RoadmapItemFactory(product=product, title="Someday idea")
    client.force_login(member(product.portfolio, Role.VIEWER))
    response = client.get(timeline_url(product))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="tl-chart"' in page
    assert page.index("Offline mode") < page.index("Sync engine") and page.index("Offline mode") < page.index(
        "Conflict UI"
    )
    assert "depth-1" in page
    assert f'href="/releases/{release.id}/"' in page and ">3.0</text>" in page
    assert 'class="arrow blocks warn"' in page  # estimated from March 1, before Sync engine ends
    assert "starts before it ends" in page
    assert "Unscheduled" in page and "Someday idea" in page
    assert f"/roadmap-items/{ui.id}/edit/" not in page  # a viewer gets no edit link
    assert "style=" not in page and "<style" not in page


def test_unscheduled_items_link_to_their_edit_page_for_managers(client, product, today):
    item = RoadmapItemFactory(product=product, title="Someday idea")
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    page = client.get(timeline_url(product)).content.decode()
    assert f"/roadmap-items/{item.id}/edit/" in page and "Add dates" in page


def test_timeline_kind_filter_hides_requirements(client, product, today):
    RoadmapItemFactory(product=product, title="Big feature", start_date=date(2026, 3, 1), end_date=date(2026, 4, 1))
    RoadmapItemFactory(
        product=product,
        kind="requirement",
        title="Tiny requirement",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 4, 1),
    )
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(timeline_url(product, "?kind=initiative&kind=feature")).content.decode()
    assert "Big feature" in page and "Tiny requirement" not in page


def test_timeline_shows_the_months_asked_for(client, product, today):
    RoadmapItemFactory(product=product, title="Autumn work", start_date=date(2026, 10, 1), end_date=date(2026, 11, 1))
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(timeline_url(product, "?from=2026-09&to=2027-02")).content.decode()
    assert "Sep 2026 – Feb 2027" in page and "Autumn work" in page
    page = client.get(timeline_url(product, "?from=2027-01&to=2027-06")).content.decode()
    assert "Autumn work" not in page
    assert "1 item with dates falls outside these months" in page


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("?from=March", "from", "Enter a month as YYYY-MM"),
        ("?from=2026-05&to=2026-01", "to", "cannot be before"),
        ("?from=2020-01&to=2026-01", "to", "at most 60 months"),
    ],
)
def test_timeline_refuses_a_bad_range_on_its_field(client, product, today, query, field, message):
    client.force_login(member(product.portfolio, Role.VIEWER))
    response = client.get(timeline_url(product, query))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]


def test_timeline_empty_state_links_to_the_items_table(client, product, today):
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(timeline_url(product)).content.decode()
    assert "No roadmap items yet" in page
    assert f'href="/portfolios/{product.portfolio_id}/roadmap/items/"' in page


def test_timeline_csv_has_the_rows(client, product, today):
    item = RoadmapItemFactory(product=product, title="CSV row", start_date=date(2026, 3, 1), end_date=date(2026, 4, 1))
    client.force_login(member(product.portfolio, Role.VIEWER))
    response = client.get(timeline_url(product, "?format=csv"))
    lines = response.content.decode("utf-8-sig").splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("id,title,kind,product")
    assert lines[1].startswith(f"{item.id},CSV row,feature,Nebula,,proposed,2026-03-01,2026-04-01")


def _scored(product, title, value, effort, **kwargs):
    return RoadmapItemFactory(product=product, title=title, value=value, effort=Decimal(effort), **kwargs)


def test_matrix_page_places_items_in_quadrants_and_lists_the_unscored(client, product):
    _scored(product, "Cheap win", 9, "1")
    _scored(product, "Moonshot", 9, "8")
    _scored(product, "Small chore", 2, "1")
    _scored(product, "Swamp", 2, "8")
    unscored = RoadmapItemFactory(product=product, title="Unscored thing", value=5)
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    response = client.get(matrix_url(product))
    page = response.content.decode()
    assert response.status_code == 200
    quadrants = {q["key"]: [p.item.title for p in q["points"]] for q in response.context["chart"].quadrants}
    assert quadrants == {
        "quick_wins": ["Cheap win"],
        "big_bets": ["Moonshot"],
        "fill_ins": ["Small chore"],
        "money_pits": ["Swamp"],
    }
    for label in ("Quick wins", "Big bets", "Fill-ins", "Money pits"):
        assert label in page
    assert "medians of the 4 plotted items" in page
    assert "Not plotted: add value and effort" in page and f"/roadmap-items/{unscored.id}/edit/" in page
    assert "style=" not in page and "<style" not in page


def test_matrix_hides_done_and_dropped_unless_asked(client, product):
    _scored(product, "Open one", 5, "2")
    _scored(product, "Finished one", 5, "2", status="done")
    _scored(product, "Abandoned one", 5, "2", status="dropped")
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(matrix_url(product)).content.decode()
    assert "Open one" in page and "Finished one" not in page and "Abandoned one" not in page
    page = client.get(matrix_url(product, "?status=done")).content.decode()
    assert "Finished one" in page and "Open one" not in page


def test_matrix_filters_by_kind_and_product(client, product):
    other = ProductFactory(portfolio=product.portfolio, name="Other product")
    _scored(product, "A feature", 5, "2")
    _scored(product, "An initiative", 5, "2", kind="initiative")
    _scored(other, "Elsewhere feature", 5, "2")
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(matrix_url(product, "?kind=initiative")).content.decode()
    assert "An initiative" in page and "A feature" not in page
    page = client.get(matrix_url(product, f"?product={other.id}")).content.decode()
    assert "Elsewhere feature" in page and "A feature" not in page


def test_other_portfolios_items_are_never_shown(client, product, today):
    foreign = ProductFactory(name="Foreign product")
    _scored(foreign, "Foreign secret", 5, "2", start_date=date(2026, 3, 1), end_date=date(2026, 4, 1))
    ReleaseFactory(product=foreign, version="66.6", target_date=date(2026, 4, 1))
    _scored(product, "Mine", 5, "2", start_date=date(2026, 3, 1), end_date=date(2026, 4, 1))
    client.force_login(member(product.portfolio, Role.VIEWER))
    for url in (timeline_url(product), matrix_url(product), timeline_url(product, "?format=csv")):
        page = client.get(url).content.decode()
        assert "Mine" in page and "Foreign" not in page and "66.6" not in page


@pytest.mark.parametrize("url", [timeline_url, matrix_url])
def test_a_product_of_another_portfolio_is_404(client, product, today, url):
    foreign = ProductFactory()
    client.force_login(member(product.portfolio, Role.ADMIN))
    assert client.get(url(product, f"?product={foreign.id}")).status_code == 404
    assert client.get(url(product, "?product=nope")).status_code == 404
    assert client.get(url(product, f"?product={product.id}")).status_code == 200


@pytest.mark.parametrize("url", [timeline_url, matrix_url])
def test_a_non_member_gets_404(client, product, url):
    client.force_login(member(product.portfolio, None))
    assert client.get(url(product)).status_code == 404


def _roadmap(product, count):
    """`count` items, half with dates and half in releases, scored, each blocked by the one before."""
    releases = [ReleaseFactory(product=product, target_date=date(2026, 4 + i % 6, 10)) for i in range(count // 5)]
    previous = None
    for i in range(count):
        dated = i % 2 == 0
        item = RoadmapItemFactory(
            product=product,
            kind=("initiative", "feature", "requirement")[i % 3],
            start_date=date(2026, 3, 1 + i % 20) if dated else None,
            end_date=date(2026, 5, 1 + i % 20) if dated else None,
            release=None if dated else releases[i % len(releases)],
            value=1 + i % 9,
            effort=Decimal(1 + i % 7),
        )
        if previous is not None:
            RoadmapDependency.objects.create(item=item, depends_on=previous, kind="blocks" if i % 2 else "relates")
        previous = item


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [timeline_url, matrix_url])
def test_query_count_does_not_grow_with_items(client, today, url):
    small, large = ProductFactory(), ProductFactory()
    _roadmap(small, 5)
    _roadmap(large, 50)
    client.force_login(member(small.portfolio, Role.VIEWER))
    at_1x = _queries(client, url(small))
    client.force_login(member(large.portfolio, Role.VIEWER))
    at_10x = _queries(client, url(large))
    assert at_1x == at_10x
    assert at_10x <= 12


# --- review: readers, strangers and the calendar's edges ----------------------------------------------


@pytest.mark.parametrize("url", [timeline_url, matrix_url])
@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_get_no_edit_links(client, product, today, url, role):
    item = RoadmapItemFactory(product=product, title="Someday idea", value=5)  # unscheduled and not plotted
    client.force_login(member(product.portfolio, role))
    page = client.get(url(product)).content.decode()
    assert "Someday idea" in page and f"/roadmap-items/{item.id}/edit/" not in page


@pytest.mark.parametrize("url", [timeline_url, matrix_url])
def test_a_member_of_another_portfolio_gets_404_whatever_the_query(client, product, today, url):
    client.force_login(member(product.portfolio, None))
    for query in ("", f"?product={product.id}", "?format=csv", "?from=2026-01&to=2026-06"):
        assert client.get(url(product, query)).status_code == 404, query


@pytest.mark.parametrize(
    "query, field",
    [("?from=%00", "from"), ("?from=99999-01", "from"), ("?to=0000-01", "to"), ("?from=1e9999999", "from")],
)
def test_timeline_refuses_an_absurd_month_on_its_field(client, product, today, query, field):
    client.force_login(member(product.portfolio, Role.VIEWER))
    response = client.get(timeline_url(product, query))
    assert response.status_code == 400 and response.context["form"].errors[field]


@pytest.mark.parametrize("query", ["", "?from=9999-10", "?to=0001-02", "?from=9999-01&to=9999-12", "?format=csv"])
def test_timeline_draws_dates_at_the_calendars_edges(client, product, today, query):
    """Dates the API may still store (9999-12-31, 0001-01-01): the chart holds at the last and first months."""
    last = RoadmapItemFactory(
        product=product, title="Far off", start_date=date(9999, 12, 1), end_date=date(9999, 12, 31)
    )
    first = RoadmapItemFactory(product=product, title="Long ago", start_date=date(1, 1, 1), end_date=date(1, 1, 31))
    RoadmapDependency.objects.create(item=last, depends_on=first, kind="blocks")
    ReleaseFactory(product=product, version="9.9", target_date=date(9999, 12, 31))
    client.force_login(member(product.portfolio, Role.VIEWER))
    assert client.get(timeline_url(product, query)).status_code == 200
