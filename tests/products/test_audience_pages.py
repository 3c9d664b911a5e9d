"""Segment and persona pages: the sortable segment list, the product × segment matrix and its cell toggle
(htmx and plain POST), the forms with their refusals on the field, the persona page's journey, the
journey editor (add, remove, reorder rows without JavaScript), and the cost of every list and page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import DomainEvent, Persona, Role, Segment
from tests.factories import PersonaFactory, PortfolioFactory, ProductFactory, SegmentFactory, member

pytestmark = pytest.mark.django_db


def stage(name="Awareness", **texts):
    return {"stage": name, "touchpoints": "", "pains": "", "opportunities": "", **texts}


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role) -> Client:
    client = Client()
    client.force_login(member(portfolio, role))
    return client


@pytest.fixture
def marketer(portfolio):
    return client_for(portfolio, Role.MARKETER)


@pytest.fixture
def viewer(portfolio):
    return client_for(portfolio, Role.VIEWER)


def journey_post(rows: list[dict], **extra) -> dict:
    data = {
        "stages-TOTAL_FORMS": str(len(rows)),
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "12",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"stages-{index}-{key}"] = value
    return {**data, **extra}


# --- the segment list -----------------------------------------------------------------------------------


def test_the_list_shows_size_growth_priority_and_the_products_serving_each(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio, name="Retailers", size=6800, growth_pct="9.00", priority=4)
    segment.products.add(product)
    SegmentFactory(portfolio=portfolio, name="Field service")
    response = marketer.get(reverse("segment-list", args=[portfolio.id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Retailers" in html and "6,800" in html and "+9\u00a0%" in html and "Nebula" in html
    assert "growth opportunity" in html and "1</strong> not served by any product yet" in html


def test_the_list_sorts_by_a_column_header_with_unknowns_last(marketer, portfolio):
    SegmentFactory(portfolio=portfolio, name="Small", size=10)
    SegmentFactory(portfolio=portfolio, name="Unknown", size=None)
    SegmentFactory(portfolio=portfolio, name="Big", size=1000)
    url = reverse("segment-list", args=[portfolio.id])
    for sort, order in (("size", ["Small", "Big", "Unknown"]), ("-size", ["Big", "Small", "Unknown"])):
        html = marketer.get(f"{url}?sort={sort}").content.decode()
        assert sorted(order, key=html.index) == order, sort


def test_the_list_filters_by_product_priority_and_coverage(marketer, portfolio, product):
    served = SegmentFactory(portfolio=portfolio, name="Served one", priority=5)
    served.products.add(product)
    SegmentFactory(portfolio=portfolio, name="Open one", priority=2)
    url = reverse("segment-list", args=[portfolio.id])
    assert "Open one" not in marketer.get(f"{url}?product={product.id}").content.decode()
    assert "Served one" not in marketer.get(f"{url}?served=no").content.decode()
    assert "Open one" not in marketer.get(f"{url}?priority=5").content.decode()


def test_the_list_downloads_as_csv(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio, name="Retailers", priority=4)
    segment.products.add(product)
    response = marketer.get(reverse("segment-list", args=[portfolio.id]) + "?format=csv")
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[1].split(",")[1:3] == ["Retailers", "4"] and "Nebula" in text


def test_an_empty_list_says_what_to_do_next(marketer, viewer, portfolio):
    url = reverse("segment-list", args=[portfolio.id])
    assert "Add the first segment" in marketer.get(url).content.decode()
    html = viewer.get(url).content.decode()
    assert "Add the first segment" not in html and "marketers add segments" in html


# --- the matrix -----------------------------------------------------------------------------------------


def test_the_matrix_ticks_where_a_product_serves_a_segment(viewer, portfolio, product):
    served = SegmentFactory(portfolio=portfolio, name="Retailers")
    served.products.add(product)
    SegmentFactory(portfolio=portfolio, name="Banks")
    html = viewer.get(reverse("segment-matrix", args=[portfolio.id])).content.decode()
    assert 'aria-label="Nebula serves Retailers">✓' in html
    assert "Nebula serves Banks" not in html and "no product serves Banks yet" in html
    assert "<form" not in html.split('class="table matrix"')[1]  # a reader gets no toggles


def test_a_writer_gets_a_form_per_cell(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio)
    html = marketer.get(reverse("segment-matrix", args=[portfolio.id])).content.decode()
    assert f'action="{reverse("segment-matrix-cell", args=[segment.id, product.id])}"' in html
    assert 'aria-pressed="false"' in html


def test_toggling_a_cell_without_javascript_redirects_back_to_it(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio)
    response = marketer.post(reverse("segment-matrix-cell", args=[segment.id, product.id]), {"serves": "true"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/segments/matrix/#cell-{product.id}-{segment.id}")
    assert list(segment.products.all()) == [product]


def test_toggling_a_cell_with_htmx_answers_the_cell(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio, name="Banks")
    segment.products.add(product)
    response = marketer.post(
        reverse("segment-matrix-cell", args=[segment.id, product.id]), {"serves": "false"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.strip().startswith("<td")
    assert 'aria-pressed="false"' in html and "Nebula no longer serves Banks." in html
    assert not segment.products.exists()


def test_a_viewer_cannot_toggle_a_cell(viewer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio)
    response = viewer.post(reverse("segment-matrix-cell", args=[segment.id, product.id]), {"serves": "true"})
    assert response.status_code == 403 and not segment.products.exists()


def test_a_cell_of_another_portfolios_product_is_a_404(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    foreign = ProductFactory()
    response = marketer.post(reverse("segment-matrix-cell", args=[segment.id, foreign.id]), {"serves": "true"})
    assert response.status_code == 404 and not DomainEvent.objects.exists()


def test_a_get_on_a_cell_is_not_allowed(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio)
    assert marketer.get(reverse("segment-matrix-cell", args=[segment.id, product.id])).status_code == 405


# --- segment forms --------------------------------------------------------------------------------------


def test_a_segment_is_added_from_the_form(marketer, portfolio, product):
    response = marketer.post(
        f"{reverse('segment-create')}?portfolio={portfolio.id}",
        {"name": "Retailers", "priority": "4", "size": "6,800", "growth_pct": "9", "products": [product.id]},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    segment = Segment.objects.get()
    assert (segment.size, segment.priority, list(segment.products.all())) == (6800, 4, [product])


def test_a_taken_name_comes_back_on_the_field(marketer, portfolio):
    SegmentFactory(portfolio=portfolio, name="Retailers")
    response = marketer.post(
        f"{reverse('segment-create')}?portfolio={portfolio.id}", {"name": "Retailers", "priority": "3"}
    )
    assert response.status_code == 400
    assert "A segment with this name exists in the portfolio." in response.content.decode()


def test_a_product_of_another_portfolio_is_not_a_choice(marketer, portfolio):
    foreign = ProductFactory()
    response = marketer.post(
        f"{reverse('segment-create')}?portfolio={portfolio.id}",
        {"name": "S", "priority": "3", "products": [foreign.id]},
    )
    assert response.status_code == 400 and not Segment.objects.exists()


def test_a_viewer_is_refused_the_form_before_it_is_read(viewer, portfolio):
    assert viewer.get(f"{reverse('segment-create')}?portfolio={portfolio.id}").status_code == 403


def test_editing_keeps_the_values_and_saves_changes(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio, name="Banks", growth_pct="4.50", priority=2)
    url = reverse("segment-edit", args=[segment.id])
    html = marketer.get(url).content.decode()
    assert 'value="Banks"' in html and 'value="4.5"' in html
    response = marketer.post(url, {"name": "Banks", "priority": "5", "growth_pct": "", "products": [product.id]})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.priority == 5 and segment.growth_pct is None and list(segment.products.all()) == [product]


def test_the_delete_page_says_what_stays_without_the_segment(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio, name="Banks")
    PersonaFactory.create_batch(2, portfolio=portfolio, segment=segment)
    html = marketer.get(reverse("segment-delete", args=[segment.id])).content.decode()
    assert "2 personas stay, without this segment." in html
    assert marketer.post(reverse("segment-delete", args=[segment.id])).status_code == 302
    assert not Segment.objects.exists() and Persona.objects.count() == 2


# --- personas -------------------------------------------------------------------------------------------


def test_the_persona_list_shows_segment_goals_and_the_journey_stages(viewer, portfolio):
    segment = SegmentFactory(portfolio=portfolio, name="Retailers")
    PersonaFactory(
        portfolio=portfolio,
        name="Olivia",
        segment=segment,
        goals="Know by 8:00",
        journey=[stage("Awareness"), stage("Purchase")],
    )
    html = viewer.get(reverse("persona-list", args=[portfolio.id])).content.decode()
    assert "Olivia" in html and "Segment: Retailers" in html and "Know by 8:00" in html
    assert html.index("<li>Awareness</li>") < html.index("<li>Purchase</li>")


def test_the_persona_list_filters_by_segment(viewer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    PersonaFactory(portfolio=portfolio, name="Inside", segment=segment)
    PersonaFactory(portfolio=portfolio, name="Outside")
    html = viewer.get(reverse("persona-list", args=[portfolio.id]) + f"?segment={segment.id}").content.decode()
    assert "Inside" in html and "Outside" not in html


def test_the_persona_page_shows_the_journey_stage_by_stage(viewer, portfolio):
    persona = PersonaFactory(
        portfolio=portfolio,
        name="Olivia",
        goals="On time",
        pains="Four systems",
        journey=[stage("Awareness", touchpoints="Trade show"), stage("Purchase", opportunities="Regional pricing")],
    )
    html = viewer.get(reverse("persona-page", args=[persona.id])).content.decode()
    assert "On time" in html and "Four systems" in html
    assert html.index("Awareness") < html.index("Trade show") < html.index("Purchase") < html.index("Regional pricing")
    assert "Edit the journey" not in html  # a reader


def test_a_persona_without_a_journey_says_how_to_map_it(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    assert "Map the journey" in marketer.get(reverse("persona-page", args=[persona.id])).content.decode()


def test_a_new_persona_goes_on_to_its_journey(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    response = marketer.post(
        f"{reverse('persona-create')}?portfolio={portfolio.id}", {"name": "Olivia", "segment": segment.id}
    )
    persona = Persona.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("persona-journey", args=[persona.id])
    assert persona.segment == segment


def test_a_persona_without_a_name_comes_back_with_the_message(marketer, portfolio):
    response = marketer.post(f"{reverse('persona-create')}?portfolio={portfolio.id}", {"name": " "})
    assert response.status_code == 400 and not Persona.objects.exists()


def test_editing_a_persona_keeps_its_journey(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio, name="Olivia", journey=[stage()])
    response = marketer.post(reverse("persona-edit", args=[persona.id]), {"name": "Olivia K.", "goals": "More"})
    assert response.status_code == 302
    persona.refresh_from_db()
    assert persona.name == "Olivia K." and persona.journey == [stage()]


def test_deleting_a_persona(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio, name="Olivia", journey=[stage()])
    assert "(1 stage)" in marketer.get(reverse("persona-delete", args=[persona.id])).content.decode()
    assert marketer.post(reverse("persona-delete", args=[persona.id])).status_code == 302
    assert not Persona.objects.exists()


# --- the journey editor ---------------------------------------------------------------------------------


def test_a_new_journey_offers_the_five_usual_stages_as_placeholders(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    html = marketer.get(reverse("persona-journey", args=[persona.id])).content.decode()
    assert 'name="stages-TOTAL_FORMS" value="5"' in html
    for name in ("Awareness", "Consideration", "Purchase", "Onboarding", "Advocacy"):
        assert f'placeholder="e.g. {name}"' in html


def test_an_existing_journey_shows_its_rows_and_one_blank(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio, journey=[stage("Awareness"), stage("Purchase")])
    html = marketer.get(reverse("persona-journey", args=[persona.id])).content.decode()
    assert 'name="stages-TOTAL_FORMS" value="3"' in html and 'value="Purchase"' in html


def test_saving_keeps_the_order_and_leaves_out_blank_and_removed_rows(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    rows = [
        stage("Awareness", touchpoints="Ads"),
        stage("", touchpoints="", pains="", opportunities=""),
        {**stage("Gone"), "DELETE": "on"},
        stage("Advocacy", opportunities="Referral bonus"),
    ]
    response = marketer.post(reverse("persona-journey", args=[persona.id]), journey_post(rows))
    assert response.status_code == 302
    persona.refresh_from_db()
    assert persona.journey == [stage("Awareness", touchpoints="Ads"), stage("Advocacy", opportunities="Referral bonus")]


def test_add_a_stage_posts_back_one_more_row_and_saves_nothing(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio, journey=[stage("Old")])
    response = marketer.post(
        reverse("persona-journey", args=[persona.id]), journey_post([stage("Changed")], add="stage")
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'name="stages-TOTAL_FORMS" value="2"' in html and 'value="Changed"' in html
    persona.refresh_from_db()
    assert persona.journey == [stage("Old")] and not DomainEvent.objects.exists()


def test_a_move_exchanges_two_rows_without_saving(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    data = journey_post([stage("First", pains="p1"), stage("Second", pains="p2")], move="down-0")
    html = marketer.post(reverse("persona-journey", args=[persona.id]), data).content.decode()
    assert html.index('value="Second"') < html.index('value="First"')
    assert html.index("p2</textarea>") < html.index("p1</textarea>")
    assert 'data-focus="move-down-1"' in html
    persona.refresh_from_db()
    assert persona.journey == []


def test_a_move_past_the_edge_changes_nothing(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    data = journey_post([stage("First"), stage("Second")], move="up-0")
    html = marketer.post(reverse("persona-journey", args=[persona.id]), data).content.decode()
    assert html.index('value="First"') < html.index('value="Second"')
    persona.refresh_from_db()
    assert persona.journey == []


def test_thirteen_stages_are_refused_with_the_limit(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    response = marketer.post(
        reverse("persona-journey", args=[persona.id]), journey_post([stage(f"S{n}") for n in range(13)])
    )
    assert response.status_code == 400 and "At most 12 stages" in response.content.decode()
    persona.refresh_from_db()
    assert persona.journey == []


def test_a_row_with_text_but_no_stage_name_is_refused_on_the_row(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    response = marketer.post(
        reverse("persona-journey", args=[persona.id]), journey_post([stage("", touchpoints="Trade show")])
    )
    assert response.status_code == 400 and "Name this stage, or remove the row." in response.content.decode()


def test_a_forged_row_count_builds_a_bounded_formset(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    data = journey_post([stage()])
    data["stages-TOTAL_FORMS"] = "1000000"
    response = marketer.post(reverse("persona-journey", args=[persona.id]), data)
    assert response.status_code == 400
    persona.refresh_from_db()
    assert persona.journey == []


def test_a_viewer_cannot_open_the_journey_editor(viewer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    assert viewer.get(reverse("persona-journey", args=[persona.id])).status_code == 403


# --- the cost of each page ------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    products = ProductFactory.create_batch(n, portfolio=portfolio)
    for index in range(n):
        segment = SegmentFactory(portfolio=portfolio, priority=1 + index % 5, size=index * 100)
        segment.products.set(products[: index % 4])
        PersonaFactory(portfolio=portfolio, segment=segment, journey=[stage(f"S{index}"), stage("Purchase")])


@pytest.mark.parametrize(
    "name, query",
    [
        ("segment-list", ""),
        ("segment-list", "?sort=-growth_pct&served=yes&priority=2"),
        ("segment-list", "?format=csv"),
        ("segment-matrix", ""),
        ("persona-list", ""),
        ("persona-page", ""),
        ("persona-journey", ""),
    ],
)
@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_page_queries_do_not_grow_with_the_data(name, query, role):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client = client_for(portfolio, role)
        _fill(portfolio, n)
        if name.startswith("persona-") and name != "persona-list":
            args = [Persona.objects.filter(portfolio=portfolio).first().id]
        else:
            args = [portfolio.id]
        client.get(reverse("segment-list", args=[portfolio.id]))  # the session's portfolio is settled
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(name, args=args) + query)
        assert response.status_code == (403 if name == "persona-journey" and role == Role.VIEWER else 200)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
