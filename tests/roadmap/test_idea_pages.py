"""The idea pages: the list (demand, counts per status, filters, sort, CSV, empty states), an idea's page
(the insights and feedback behind it, the decision, the steps by status and role), the forms, evaluate /
accept / reject from the page and their own pages, delete, and what the list and the page cost."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import DomainEvent, Idea, Role
from products.services import ideas as services
from roadmap.models import RoadmapItem
from roadmap.services.ideas import idea_accept
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


@pytest.fixture
def manager(client, portfolio):
    return as_role(client, portfolio, Role.PRODUCT_MANAGER)


def text(response) -> str:
    return response.content.decode()


def list_url(portfolio, query="") -> str:
    return f"/portfolios/{portfolio.id}/ideas/{query}"


# --- the list -----------------------------------------------------------------------------------------


def test_the_list_shows_each_idea_with_its_status_and_demand(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, title="Offline mode", status="evaluated")
    FeedbackFactory(product=product, importance=5, deal_value=Decimal("48000")).ideas.add(idea)
    FeedbackFactory(product=product, importance=3).ideas.add(idea)
    page = text(client.get(list_url(portfolio)))
    assert "Offline mode" in page and "idea-evaluated" in page
    assert ">2<" in page and ">8<" in page and "48,000" in page


def test_the_list_counts_ideas_per_status_linking_to_each(client, portfolio, product, manager):
    for status in ("concept", "concept", "evaluated", "accepted", "rejected"):
        IdeaFactory(product=product, status=status)
    page = text(client.get(list_url(portfolio)))
    assert "<span>All</span> <strong>5</strong>" in page
    assert "<span>Concept</span> <strong>2</strong>" in page
    assert "<span>Rejected</span> <strong>1</strong>" in page
    assert "status=rejected" in page


def test_the_list_filters_by_status_and_product(client, portfolio, product, manager):
    other = ProductFactory(portfolio=portfolio, name="Other")
    IdeaFactory(product=product, title="Wanted", status="rejected")
    IdeaFactory(product=product, title="Open one")
    IdeaFactory(product=other, title="Elsewhere", status="rejected")
    page = text(client.get(list_url(portfolio, f"?status=rejected&product={product.id}")))
    assert "Wanted" in page and "Open one" not in page and "Elsewhere" not in page


def test_the_list_sorts_by_demand_or_newest(client, portfolio, product, manager):
    old = IdeaFactory(product=product, title="Old but wanted")
    FeedbackFactory(product=product, importance=5).ideas.add(old)
    IdeaFactory(product=product, title="Brand new")
    by_demand = text(client.get(list_url(portfolio)))
    assert by_demand.index("Old but wanted") < by_demand.index("Brand new")
    newest = text(client.get(list_url(portfolio, "?sort=newest")))
    assert newest.index("Brand new") < newest.index("Old but wanted")
    ordered = text(client.get(list_url(portfolio, "?ordering=demand")))  # the API's word works here too
    assert ordered.index("Old but wanted") < ordered.index("Brand new")


def test_a_bad_filter_value_is_ignored_not_a_500(client, portfolio, product, manager):
    IdeaFactory(product=product, title="Still listed")
    response = client.get(list_url(portfolio, "?status=maybe&product=abc&sort=%00&page=x"))
    assert response.status_code == 200 and "Still listed" in text(response)


def test_the_list_links_an_accepted_idea_to_its_roadmap_item(client, portfolio, product, manager):
    item = idea_accept(idea_id=IdeaFactory(product=product).id)
    assert reverse("roadmap-item-page", args=[item.id]) in text(client.get(list_url(portfolio)))


def test_the_csv_holds_every_filtered_idea_with_its_demand(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, title="Wanted", status="rejected")
    FeedbackFactory(product=product, importance=4, deal_value=Decimal("900")).ideas.add(idea)
    IdeaFactory(product=product, title="Open")
    response = client.get(list_url(portfolio, "?status=rejected&format=csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["title"], r["demand_weight"], r["demand_deal_value"]) for r in rows] == [("Wanted", "4", "900")]


def test_an_empty_list_says_what_to_do(client, portfolio, product, manager):
    page = text(client.get(list_url(portfolio)))
    assert "No ideas yet" in page and "Add the first idea" in page


def test_writers_see_new_idea_and_readers_do_not(client, portfolio, product):
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    assert "New idea" in text(client.get(list_url(portfolio)))
    as_role(client, portfolio, Role.MARKETER)
    page = text(client.get(list_url(portfolio)))
    assert "New idea" not in page and "Admins and product managers add ideas" in page


def test_an_outsider_gets_a_404(client, portfolio, product):
    idea = IdeaFactory(product=product)
    as_role(client, PortfolioFactory(), Role.ADMIN)
    assert client.get(list_url(portfolio)).status_code == 404
    assert client.get(f"/ideas/{idea.id}/").status_code == 404
    assert client.post(f"/ideas/{idea.id}/accept/", {"kind": "feature", "horizon": "now"}).status_code == 404
    assert not RoadmapItem.objects.exists()


# --- an idea's page -----------------------------------------------------------------------------------


def test_the_page_shows_the_insights_and_feedback_behind_it_with_demand(client, portfolio, product, manager):
    insight = MarketInsightFactory(portfolio=portfolio, title="Rural coverage gaps", impact="high")
    feedback = FeedbackFactory(product=product, customer="Kessler", text="No signal in basements", importance=5)
    idea = services.idea_create(
        product=product, title="Offline", description="Work without a signal.", insights=[insight], feedback=[feedback]
    )
    page = text(client.get(f"/ideas/{idea.id}/"))
    for shown in ("Work without a signal.", "Rural coverage gaps", "Kessler", "No signal in basements", "importance 5"):
        assert shown in page


def test_a_concept_offers_evaluate_accept_and_reject(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    page = text(client.get(f"/ideas/{idea.id}/"))
    for action in ("evaluate", "accept", "reject"):
        assert f"/ideas/{idea.id}/{action}/" in page


def test_an_evaluated_idea_offers_accept_and_reject_only(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, status="evaluated")
    page = text(client.get(f"/ideas/{idea.id}/"))
    assert f"/ideas/{idea.id}/evaluate/" not in page and f"/ideas/{idea.id}/accept/" in page


def test_an_accepted_idea_links_to_its_item_and_shows_the_decision(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    item = idea_accept(idea_id=idea.id, actor=manager, reason="Top ask")
    page = text(client.get(f"/ideas/{idea.id}/"))
    assert reverse("roadmap-item-page", args=[item.id]) in page and "Top ask" in page and manager.get_username() in page
    assert f"/ideas/{idea.id}/accept/" not in page


def test_a_rejected_idea_shows_why_who_and_when(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    services.idea_reject(idea_id=idea.id, actor=manager, reason="Too niche for now")
    page = text(client.get(f"/ideas/{idea.id}/"))
    assert "Too niche for now" in page and "Decided" in page and f"/ideas/{idea.id}/reject/" not in page


def test_readers_see_no_steps(client, portfolio, product):
    idea = IdeaFactory(product=product)
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/ideas/{idea.id}/"))
    assert f"/ideas/{idea.id}/accept/" not in page and f"/ideas/{idea.id}/edit/" not in page


def test_the_history_shows_the_changes_in_words(client, portfolio, product, manager):
    idea = services.idea_create(product=product, title="Tracked", feedback=[FeedbackFactory(product=product)])
    services.idea_evaluate(idea_id=idea.id, actor=manager)
    page = text(client.get(f"/ideas/{idea.id}/"))
    assert "Concept → Evaluated" in page and "Linked feedback: 0 → 1" in page


# --- the steps ----------------------------------------------------------------------------------------


def test_evaluate_from_the_page(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    response = client.post(f"/ideas/{idea.id}/evaluate/")
    assert response.status_code == 302 and response["Location"] == f"/ideas/{idea.id}/"
    idea.refresh_from_db()
    assert idea.status == "evaluated"


def test_accepting_redirects_to_the_new_roadmap_item_with_a_message(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, title="Offline")
    response = client.post(f"/ideas/{idea.id}/accept/", {"kind": "initiative", "horizon": "next"}, follow=True)
    item = RoadmapItem.objects.get()
    assert response.redirect_chain[-1][0] == reverse("roadmap-item-page", args=[item.id])
    assert (item.kind, item.horizon, item.title) == ("initiative", "next", "Offline")
    assert "is accepted" in text(response)


def test_the_accept_page_is_a_get_form_filled_from_the_query(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    page = text(client.get(f"/ideas/{idea.id}/accept/?kind=initiative"))
    assert '<option value="initiative" selected>' in page
    assert not RoadmapItem.objects.exists()


def test_accepting_a_decided_idea_says_so_and_makes_nothing(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, status="rejected")
    response = client.post(f"/ideas/{idea.id}/accept/", {"kind": "feature", "horizon": "now"}, follow=True)
    assert "already rejected" in text(response)
    assert not RoadmapItem.objects.exists()


def test_a_bad_kind_comes_back_on_the_form(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    response = client.post(f"/ideas/{idea.id}/accept/", {"kind": "epic", "horizon": "now"})
    assert response.status_code == 400 and "errorlist" in text(response)
    assert not RoadmapItem.objects.exists()


def test_rejecting_needs_a_reason_on_the_idea_page(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    response = client.post(f"/ideas/{idea.id}/reject/", {"reason": "  ", "from": "page"})
    assert response.status_code == 400 and "This field is required" in text(response)
    assert "Demand: the feedback behind it" in text(response)  # the idea's page, with the error
    idea.refresh_from_db()
    assert idea.status == "concept" and not DomainEvent.objects.exists()


def test_rejecting_with_a_reason(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    response = client.post(f"/ideas/{idea.id}/reject/", {"reason": "Too niche"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert (idea.status, idea.decision_reason, idea.decided_by) == ("rejected", "Too niche", manager)


def test_the_reject_page_is_a_get_form(client, portfolio, product, manager):
    idea = IdeaFactory(product=product)
    assert "Why is it rejected?" in text(client.get(f"/ideas/{idea.id}/reject/"))


@pytest.mark.parametrize("step", ["evaluate", "accept", "reject"])
def test_a_marketer_cannot_take_a_step(client, portfolio, product, step):
    idea = IdeaFactory(product=product)
    as_role(client, portfolio, Role.MARKETER)
    response = client.post(f"/ideas/{idea.id}/{step}/", {"kind": "feature", "horizon": "now", "reason": "x"})
    assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.status == "concept"


# --- forms --------------------------------------------------------------------------------------------


def test_adding_an_idea_with_its_insights_and_feedback(client, portfolio, product, manager):
    insight = MarketInsightFactory(portfolio=portfolio)
    feedback = FeedbackFactory(product=product)
    response = client.post(
        f"/ideas/new/?portfolio={portfolio.id}",
        {"product": product.id, "title": "Offline", "insights": [insight.id], "feedback": [feedback.id]},
    )
    idea = Idea.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ideas/{idea.id}/"
    assert list(idea.insights.all()) == [insight] and list(idea.feedback.all()) == [feedback]


def test_the_form_starts_from_the_feedback_it_was_opened_from(client, portfolio, product, manager):
    feedback = FeedbackFactory(product=product)
    page = text(client.get(f"/ideas/new/?product={product.id}&feedback={feedback.id}"))
    assert f'value="{feedback.id}" id="id_feedback_0" checked' in page


def test_feedback_of_another_portfolio_is_a_form_error(client, portfolio, product, manager):
    foreign = FeedbackFactory()
    response = client.post(
        f"/ideas/new/?portfolio={portfolio.id}", {"product": product.id, "title": "Leak", "feedback": [foreign.id]}
    )
    assert response.status_code == 400 and not Idea.objects.exists()


def test_a_product_of_another_portfolio_is_a_form_error(client, portfolio, product, manager):
    response = client.post(f"/ideas/new/?portfolio={portfolio.id}", {"product": ProductFactory().id, "title": "X"})
    assert response.status_code == 400 and not Idea.objects.exists()


def test_a_viewer_cannot_open_the_form_or_post_it(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    assert client.get(f"/ideas/new/?portfolio={portfolio.id}").status_code == 403
    assert client.post(f"/ideas/new/?product={product.id}", {"product": product.id, "title": "X"}).status_code == 403
    assert not Idea.objects.exists()


def test_editing_an_idea_keeps_its_decision(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, status="rejected", decision_reason="No")
    response = client.post(f"/ideas/{idea.id}/edit/", {"title": "Renamed", "description": "More"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert (idea.title, idea.status, idea.decision_reason) == ("Renamed", "rejected", "No")


def test_the_delete_page_names_what_goes_and_what_stays(client, portfolio, product, manager):
    idea = IdeaFactory(product=product, title="Doomed")
    FeedbackFactory(product=product).ideas.add(idea)
    item = idea_accept(idea_id=idea.id)
    page = text(client.get(f"/ideas/{idea.id}/delete/"))
    assert "1 piece of feedback" in page and item.title in page
    assert client.post(f"/ideas/{idea.id}/delete/").status_code == 302
    assert not Idea.objects.exists() and RoadmapItem.objects.filter(pk=item.pk).exists()


# --- the cost of a page -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> Idea:
    first = None
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        insights = [MarketInsightFactory(portfolio=portfolio) for _ in range(2)]
        feedback = [FeedbackFactory(product=product, deal_value=Decimal("10")) for _ in range(2)]
        for status in ("concept", "accepted", "rejected", "evaluated"):
            idea = services.idea_create(product=product, title=f"{status}", insights=insights, feedback=feedback)
            first = first or idea
            if status == "accepted":
                idea_accept(idea_id=idea.id)
            elif status == "rejected":
                services.idea_reject(idea_id=idea.id, reason="No")
            elif status == "evaluated":
                services.idea_evaluate(idea_id=idea.id)
        # the first idea gathers more links and history as the data grows
        services.idea_update(idea_id=first.id, title=f"First {n}", insights=insights, feedback=feedback)
    return first


def _queries(client, url) -> int:
    client.get(url)  # the first visit remembers the portfolio in the session: not the page's own cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER, Role.VIEWER])
@pytest.mark.parametrize("page", ["list", "list?status=accepted&sort=newest", "list?format=csv", "idea"])
def test_pages_cost_the_same_at_ten_times_the_data(client, role, page):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        as_role(client, portfolio, role)
        first = _fill(portfolio, n)
        url = f"/ideas/{first.id}/" if page == "idea" else list_url(portfolio, page.removeprefix("list"))
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
