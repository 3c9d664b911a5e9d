"""The messaging pages: the list of lines, a version with its review steps and version history, the form
(repeating rows without JavaScript), submit, approve, request changes, revise, delete and the diff; each
role; refusals on the page (never a 500); query counts at 10× data."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gtm.models import Messaging
from gtm.services import messaging as services
from products.models import DomainEvent, Role
from tests.factories import (
    LaunchPlanFactory,
    MessagingFactory,
    PersonaFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

WRITERS = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER]
MESSAGES = [{"message": "Every launch ready on time", "proof_points": ["Fewer slips", "One checklist"]}]
OBJECTIONS = [{"objection": "We use a spreadsheet", "response": "It cannot tell you what is late."}]


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone="Europe/Berlin")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


def text(response) -> str:
    return response.content.decode()


def draft(product, **fields):
    fields = {
        "positioning": "For launch teams who lose track, Nebula is the launch tracker.",
        "value_proposition": "Every launch on time.",
        "key_messages": MESSAGES,
        "objections": OBJECTIONS,
        **fields,
    }
    return services.messaging_create(product=product, **fields)


def in_review(product, **fields):
    messaging = draft(product, **fields)
    return services.messaging_submit(messaging_id=messaging.id)


def approved(product, **fields):
    messaging = in_review(product, **fields)
    return services.messaging_approve(messaging_id=messaging.id)


def form_data(*, messages=(), objections=(), **fields) -> dict:
    data = {
        "launch_plan": "",
        "positioning": "For launch teams, Nebula is the tracker.",
        "value_proposition": "Every launch on time.",
        "messages-TOTAL_FORMS": str(len(messages)),
        "messages-INITIAL_FORMS": "0",
        "objections-TOTAL_FORMS": str(len(objections)),
        "objections-INITIAL_FORMS": "0",
    }
    for i, (message, points) in enumerate(messages):
        data[f"messages-{i}-message"] = message
        data[f"messages-{i}-proof_points"] = points
    for i, (objection, response) in enumerate(objections):
        data[f"objections-{i}-objection"] = objection
        data[f"objections-{i}-response"] = response
    data.update(fields)
    return data


# --- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_each_lines_newest_version_with_its_last_approval(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    first = approved(product)
    second = services.messaging_revise(messaging_id=first.id)
    page = text(client.get(f"/portfolios/{portfolio.id}/messaging/"))
    assert f'href="/messaging/{second.id}/"' in page and f'href="/messaging/{first.id}/"' not in page
    assert "v2" in page and "Draft" in page and f'v1 · <time datetime="{first.approved_at:%Y}' in page


def test_the_list_groups_lines_by_product_and_names_the_launch(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    plan = LaunchPlanFactory(product=product, name="Nebula 2.0")
    draft(product, launch_plan=plan)
    draft(ProductFactory(portfolio=portfolio, name="Quasar"))
    page = text(client.get(f"/portfolios/{portfolio.id}/messaging/"))
    assert page.index(">Nebula<") < page.index(">Quasar<")
    assert "Nebula 2.0" in page and "Whole product" in page


@pytest.mark.parametrize("query, shown", [("status=in_review", "review"), ("status=draft", "draft")])
def test_the_list_filters_by_status_of_the_newest_version(client, portfolio, product, query, shown):
    as_role(client, portfolio, Role.VIEWER)
    review = in_review(product, positioning="In review positioning")
    plain = draft(product, positioning="Draft positioning")
    page = text(client.get(f"/portfolios/{portfolio.id}/messaging/?{query}"))
    wanted, other = (review, plain) if shown == "review" else (plain, review)
    assert f'href="/messaging/{wanted.id}/"' in page and f'href="/messaging/{other.id}/"' not in page


def test_the_list_filters_by_product_and_launch(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    plan = LaunchPlanFactory(product=product)
    for_launch, whole = draft(product, launch_plan=plan), draft(product)
    other = draft(ProductFactory(portfolio=portfolio))
    by_product = text(client.get(f"/portfolios/{portfolio.id}/messaging/?product={product.id}"))
    assert f"/messaging/{whole.id}/" in by_product and f"/messaging/{other.id}/" not in by_product
    by_plan = text(client.get(f"/portfolios/{portfolio.id}/messaging/?launch_plan={plan.id}"))
    assert f"/messaging/{for_launch.id}/" in by_plan and f"/messaging/{whole.id}/" not in by_plan


def test_an_empty_list_says_what_to_do(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    page = text(client.get(f"/portfolios/{portfolio.id}/messaging/"))
    assert "No messaging yet" in page and "New messaging" in page
    assert "Read only" not in page


def test_a_viewer_sees_the_list_read_only(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    draft(product)
    page = text(client.get(f"/portfolios/{portfolio.id}/messaging/"))
    assert "Read only" in page and "New messaging" not in page


def test_the_list_costs_the_same_queries_at_ten_times_the_data(
    client, portfolio, product, django_assert_max_num_queries
):
    as_role(client, portfolio, Role.MARKETER)

    def fill(n):
        for i in range(n):
            line = approved(ProductFactory(portfolio=portfolio), launch_plan=None)
            if i % 2:
                services.messaging_revise(messaging_id=line.id)

    fill(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/portfolios/{portfolio.id}/messaging/").status_code == 200
    fill(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = text(client.get(f"/portfolios/{portfolio.id}/messaging/"))
    assert page.count('href="/messaging/') >= 30


# --- one version ------------------------------------------------------------------------------------


def test_the_page_shows_the_whole_messaging(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    segment = SegmentFactory(portfolio=portfolio, name="Mid-market")
    persona = PersonaFactory(portfolio=portfolio, name="Ops Olga")
    messaging = draft(product, target_segments=[segment], target_personas=[persona])
    page = text(client.get(f"/messaging/{messaging.id}/"))
    for shown in (
        "For launch teams who lose track",
        "Every launch on time.",
        "Mid-market",
        "Ops Olga",
        "Every launch ready on time",
        "Fewer slips",
        "We use a spreadsheet",
        "It cannot tell you what is late.",
    ):
        assert shown in page, shown
    assert '<table class="table objections">' in page and '<th scope="col">Response</th>' in page


def test_a_draft_offers_edit_delete_and_submit_to_writers(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = draft(product)
    page = text(client.get(f"/messaging/{messaging.id}/"))
    assert f"/messaging/{messaging.id}/edit/" in page and f"/messaging/{messaging.id}/delete/" in page
    assert f"/messaging/{messaging.id}/submit/" in page and "Revise" not in page


def test_an_approved_version_is_frozen_without_edit_and_with_revise(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = approved(product)
    page = text(client.get(f"/messaging/{messaging.id}/"))
    assert f"/messaging/{messaging.id}/edit/" not in page and f"/messaging/{messaging.id}/delete/" not in page
    assert f"/messaging/{messaging.id}/revise/" in page and "frozen" in page


def test_a_version_in_review_shows_a_marketer_who_approves(client, portfolio, product):
    pm = member(portfolio, Role.PRODUCT_MANAGER)
    as_role(client, portfolio, Role.MARKETER)
    messaging = in_review(product)
    page = text(client.get(f"/messaging/{messaging.id}/"))
    assert f"/messaging/{messaging.id}/approve/" not in page
    assert f"{pm.username} (product manager)" in page and "sends it back to draft" in page


def test_a_version_in_review_offers_a_manager_approve_and_request_changes(client, portfolio, product):
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    messaging = in_review(product)
    page = text(client.get(f"/messaging/{messaging.id}/"))
    assert f"/messaging/{messaging.id}/approve/" in page and f"/messaging/{messaging.id}/request-changes/" in page


def test_the_version_history_links_every_version_and_compares_with_the_previous(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    first = approved(product)
    second = services.messaging_revise(messaging_id=first.id)
    page = text(client.get(f"/messaging/{second.id}/"))
    assert f'href="/messaging/{first.id}/"' in page
    assert f"/messaging/{second.id}/diff/?against={first.id}" in page and "Compare with v1" in page


def test_an_older_approved_version_points_at_the_newer_one(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    first = approved(product)
    second = services.messaging_revise(messaging_id=first.id)
    page = text(client.get(f"/messaging/{first.id}/"))
    assert "A newer version exists" in page and f"/messaging/{second.id}/" in page
    assert f"/messaging/{first.id}/revise/" not in page


def test_a_draft_sent_back_shows_the_reviewers_comment(client, portfolio, product):
    pm = member(portfolio, Role.PRODUCT_MANAGER)
    as_role(client, portfolio, Role.MARKETER)
    messaging = in_review(product)
    services.messaging_request_changes(messaging_id=messaging.id, actor=pm, comment="Cite the survey.")
    page = text(client.get(f"/messaging/{messaging.id}/"))
    assert "Changes requested" in page and "Cite the survey." in page and pm.username in page


def test_the_page_of_one_version_costs_a_fixed_number_of_queries(
    client, portfolio, product, django_assert_max_num_queries
):
    as_role(client, portfolio, Role.MARKETER)
    segments = [SegmentFactory(portfolio=portfolio) for _ in range(3)]
    first = approved(product, target_segments=segments)
    latest = first
    for _ in range(2):
        latest = services.messaging_revise(messaging_id=latest.id)
        services.messaging_submit(messaging_id=latest.id)
        latest = services.messaging_approve(messaging_id=latest.id)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/messaging/{latest.id}/").status_code == 200
    for _ in range(27):
        latest = services.messaging_revise(messaging_id=latest.id)
        services.messaging_submit(messaging_id=latest.id)
        latest = services.messaging_approve(messaging_id=latest.id)
    SegmentFactory.create_batch(27, portfolio=portfolio)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/messaging/{latest.id}/").status_code == 200


# --- the form ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_writers_create_a_draft_with_rows(client, portfolio, product, role):
    as_role(client, portfolio, role)
    segment = SegmentFactory(portfolio=portfolio)
    data = form_data(
        messages=[("Ready on time", "Fewer slips\n\n  One checklist  "), ("", "")],
        objections=[("Too pricey", "Pays back in a quarter"), ("", "")],
        target_segments=[str(segment.id)],
    )
    response = client.post(f"/messaging/new/?product={product.id}", data)
    messaging = Messaging.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messaging/{messaging.id}/"
    assert messaging.key_messages == [{"message": "Ready on time", "proof_points": ["Fewer slips", "One checklist"]}]
    assert messaging.objections == [{"objection": "Too pricey", "response": "Pays back in a quarter"}]
    assert list(messaging.target_segments.all()) == [segment]
    assert (messaging.version, messaging.status, messaging.origin_id) == (1, "draft", messaging.id)


def test_the_new_form_preselects_the_launch(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    plan = LaunchPlanFactory(product=product, name="Nebula 2.0")
    page = text(client.get(f"/messaging/new/?product={product.id}&launch_plan={plan.id}"))
    assert re.search(rf'<option value="{plan.id}" selected>Nebula 2.0</option>', page)


def test_a_launch_of_another_product_in_the_new_link_is_a_404(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    other = LaunchPlanFactory(product=ProductFactory(portfolio=portfolio))
    assert client.get(f"/messaging/new/?product={product.id}&launch_plan={other.id}").status_code == 404


def test_add_a_row_without_javascript_posts_back_with_one_more_row_and_saves_nothing(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    data = form_data(messages=[("Ready on time", "Fewer slips")], add="messages")
    response = client.post(f"/messaging/new/?product={product.id}", data)
    page = text(response)
    assert response.status_code == 200 and not Messaging.objects.exists()
    assert 'name="messages-TOTAL_FORMS" value="2"' in page
    assert 'value="Ready on time"' in page and 'name="messages-1-message"' in page and "autofocus" in page


def test_the_edit_form_shows_the_rows_and_proof_points_one_per_line(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = draft(product)
    page = text(client.get(f"/messaging/{messaging.id}/edit/"))
    assert 'value="Every launch ready on time"' in page and "Fewer slips\nOne checklist</textarea>" in page
    assert "We use a spreadsheet</textarea>" in page
    assert 'name="messages-TOTAL_FORMS" value="2"' in page  # the row and a blank one
    assert '<template id="messages-empty">' in page and "messages-__prefix__-message" in page


def test_removing_a_row_drops_it(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = draft(product)
    data = form_data(messages=[("Keep", "a"), ("Drop", "b")], **{"messages-1-DELETE": "on"})
    assert client.post(f"/messaging/{messaging.id}/edit/", data).status_code == 302
    messaging.refresh_from_db()
    assert [row["message"] for row in messaging.key_messages] == ["Keep"]


def test_proof_points_without_a_message_are_a_field_error(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    response = client.post(f"/messaging/new/?product={product.id}", form_data(messages=[("", "A proof")]))
    assert response.status_code == 400 and "Write the message these proof points support" in text(response)
    assert not Messaging.objects.exists()


def test_too_many_proof_points_are_a_field_error_on_the_row(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    points = "\n".join(f"Point {i}" for i in range(21))
    response = client.post(f"/messaging/new/?product={product.id}", form_data(messages=[("Fast", points)]))
    assert response.status_code == 400 and "At most 20 proof points" in text(response)


def test_a_segment_of_another_portfolio_is_a_field_error(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    foreign = SegmentFactory(name="Foreign segment")
    response = client.post(f"/messaging/new/?product={product.id}", form_data(target_segments=[str(foreign.id)]))
    assert response.status_code == 400 and "Select a valid choice" in text(response)
    assert "Foreign segment" not in text(response) and not Messaging.objects.exists()


def test_a_forged_row_count_builds_no_million_forms(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    data = form_data(**{"messages-TOTAL_FORMS": "1000000"})
    response = client.post(f"/messaging/new/?product={product.id}", data)
    assert response.status_code == 400 and not Messaging.objects.exists()


def test_editing_a_version_in_review_warns_and_sends_it_back_to_draft(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = in_review(product)
    assert "sends it back to draft" in text(client.get(f"/messaging/{messaging.id}/edit/"))
    data = form_data(messages=[("Sharper message", "Proof")], objections=[("Price", "Value")])
    response = client.post(f"/messaging/{messaging.id}/edit/", data, follow=True)
    messaging.refresh_from_db()
    assert messaging.status == "draft" and "It is a draft again" in text(response)


def test_editing_an_approved_version_redirects_to_it_and_a_post_is_a_409(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = approved(product)
    response = client.get(f"/messaging/{messaging.id}/edit/")
    assert response.status_code == 302 and response["Location"] == f"/messaging/{messaging.id}/"
    events = DomainEvent.objects.count()
    response = client.post(f"/messaging/{messaging.id}/edit/", form_data(positioning="Sneaky"))
    assert response.status_code == 409 and "approved and frozen" in text(response)
    messaging.refresh_from_db()
    assert messaging.positioning != "Sneaky" and DomainEvent.objects.count() == events


@pytest.mark.parametrize("url", ["/messaging/new/?product={product}", "/messaging/{messaging}/edit/"])
def test_a_viewer_cannot_open_the_form(client, portfolio, product, url):
    as_role(client, portfolio, Role.VIEWER)
    messaging = draft(product)
    assert client.get(url.format(product=product.id, messaging=messaging.id)).status_code == 403


def test_the_form_page_costs_a_fixed_number_of_queries(client, portfolio, product, django_assert_max_num_queries):
    as_role(client, portfolio, Role.MARKETER)
    messaging = draft(product)
    SegmentFactory.create_batch(3, portfolio=portfolio)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/messaging/{messaging.id}/edit/").status_code == 200
    SegmentFactory.create_batch(27, portfolio=portfolio)
    PersonaFactory.create_batch(30, portfolio=portfolio)
    LaunchPlanFactory.create_batch(10, product=product)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/messaging/{messaging.id}/edit/").status_code == 200


# --- review steps -----------------------------------------------------------------------------------


def test_submit_from_the_page(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = draft(product)
    response = client.post(f"/messaging/{messaging.id}/submit/")
    assert response.status_code == 302
    messaging.refresh_from_db()
    assert messaging.status == "in_review"


def test_submitting_an_incomplete_draft_comes_back_on_the_page_as_a_409(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = services.messaging_create(product=product, positioning="Only this")
    response = client.post(f"/messaging/{messaging.id}/submit/")
    page = text(response)
    assert response.status_code == 409 and "Not ready for review" in page and "Add at least one key message." in page


def test_approve_from_the_page(client, portfolio, product):
    pm = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    messaging = in_review(product)
    assert client.post(f"/messaging/{messaging.id}/approve/").status_code == 302
    messaging.refresh_from_db()
    assert messaging.status == "approved" and messaging.approved_by == pm


def test_approving_a_draft_from_the_page_is_a_409_with_the_message(client, portfolio, product):
    as_role(client, portfolio, Role.ADMIN)
    messaging = draft(product)
    response = client.post(f"/messaging/{messaging.id}/approve/")
    assert response.status_code == 409 and "only a version in review is approved" in text(response)


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_approving_needs_a_manager(client, portfolio, product, role):
    as_role(client, portfolio, role)
    messaging = in_review(product)
    assert client.post(f"/messaging/{messaging.id}/approve/").status_code == 403
    messaging.refresh_from_db()
    assert messaging.status == "in_review"


def test_request_changes_from_the_page(client, portfolio, product):
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    messaging = in_review(product)
    response = client.post(f"/messaging/{messaging.id}/request-changes/", {"comment": "Cite the survey."}, follow=True)
    messaging.refresh_from_db()
    assert messaging.status == "draft" and "Cite the survey." in text(response)


def test_request_changes_without_a_comment_is_a_field_error(client, portfolio, product):
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    messaging = in_review(product)
    response = client.post(f"/messaging/{messaging.id}/request-changes/", {"comment": "  "})
    assert response.status_code == 400 and "Say what should change" in text(response)
    messaging.refresh_from_db()
    assert messaging.status == "in_review"


def test_revise_from_the_page_opens_the_new_draft(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    first = approved(product)
    response = client.post(f"/messaging/{first.id}/revise/")
    second = Messaging.objects.get(version=2)
    assert response.status_code == 302 and response["Location"] == f"/messaging/{second.id}/edit/"
    assert second.origin_id == first.id and second.key_messages == first.key_messages


def test_revising_an_older_version_from_the_page_is_a_409_linking_the_newer(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    first = approved(product)
    second = services.messaging_revise(messaging_id=first.id)
    response = client.post(f"/messaging/{first.id}/revise/")
    assert response.status_code == 409 and f"/messaging/{second.id}/" in text(response)
    assert Messaging.objects.count() == 2


def test_action_urls_take_post_only(client, portfolio, product):
    as_role(client, portfolio, Role.ADMIN)
    messaging = in_review(product)
    for action in ("submit", "approve", "request-changes", "revise"):
        assert client.get(f"/messaging/{messaging.id}/{action}/").status_code == 405


# --- delete -----------------------------------------------------------------------------------------


def test_delete_a_draft_asks_first_then_deletes(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    messaging = draft(product)
    assert "cannot be undone" in text(client.get(f"/messaging/{messaging.id}/delete/"))
    response = client.post(f"/messaging/{messaging.id}/delete/")
    assert (
        response.status_code == 302
        and response["Location"] == f"/portfolios/{portfolio.id}/messaging/?product={product.id}"
    )
    assert not Messaging.objects.exists()


def test_deleting_a_revision_goes_back_to_the_previous_version(client, portfolio, product):
    as_role(client, portfolio, Role.MARKETER)
    first = approved(product)
    second = services.messaging_revise(messaging_id=first.id)
    response = client.post(f"/messaging/{second.id}/delete/")
    assert response["Location"] == f"/messaging/{first.id}/"


def test_deleting_an_approved_version_is_a_409_on_the_page(client, portfolio, product):
    as_role(client, portfolio, Role.ADMIN)
    messaging = approved(product)
    response = client.post(f"/messaging/{messaging.id}/delete/")
    assert response.status_code == 409 and "frozen" in text(response)
    assert Messaging.objects.filter(pk=messaging.pk).exists()


# --- the diff ---------------------------------------------------------------------------------------


def revision_with_changes(product, **changes):
    first = approved(product)
    second = services.messaging_revise(messaging_id=first.id)
    services.messaging_update(messaging_id=second.id, **changes)
    return first, second


def test_the_diff_marks_insertions_and_deletions(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    first, second = revision_with_changes(
        product,
        positioning="For launch teams who lose track, Nebula is the calm launch tracker.",
        key_messages=[{"message": "Every launch ready on time", "proof_points": ["Fewer slips", "Used by 40 teams"]}],
    )
    page = text(client.get(f"/messaging/{second.id}/diff/?against={first.id}"))
    assert "<ins>calm </ins>" in page
    assert "<del>One checklist</del>" in page and "<ins>Used by 40 teams</ins>" in page
    assert "Changes from v1 to v2" in page and "struck through" in page


def test_the_diff_compares_with_the_previous_version_by_default(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    first, second = revision_with_changes(product, value_proposition="Every launch, on time, every time.")
    page = text(client.get(f"/messaging/{second.id}/diff/"))
    assert "Changes from v1 to v2" in page and "<ins>" in page


def test_the_diff_of_the_only_version_says_there_is_nothing_to_compare(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    messaging = draft(product)
    assert "nothing to compare yet" in text(client.get(f"/messaging/{messaging.id}/diff/"))


def test_the_diff_against_another_line_is_a_400(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    one, other = draft(product), draft(product)
    response = client.get(f"/messaging/{one.id}/diff/?against={other.id}")
    assert response.status_code == 400 and "another messaging line" in text(response)


@pytest.mark.parametrize("against", ["x", "²", "-1", "9" * 30])
def test_the_diff_against_nonsense_is_a_404(client, portfolio, product, against):
    as_role(client, portfolio, Role.VIEWER)
    messaging = draft(product)
    assert client.get(f"/messaging/{messaging.id}/diff/?against={against}").status_code == 404


def test_the_diff_against_another_portfolios_version_is_a_404(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    messaging = draft(product)
    foreign = MessagingFactory(positioning="Secret positioning")
    response = client.get(f"/messaging/{messaging.id}/diff/?against={foreign.id}")
    assert response.status_code == 404 and "Secret" not in text(response)


def test_the_diff_escapes_what_people_wrote(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    first, second = revision_with_changes(product, positioning="<script>alert(1)</script> For teams.")
    page = text(client.get(f"/messaging/{second.id}/diff/?against={first.id}"))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


# --- every page for every role ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [*WRITERS, Role.VIEWER])
def test_every_read_page_opens_for_every_role(client, portfolio, product, role):
    as_role(client, portfolio, role)
    first, second = revision_with_changes(product, positioning="New")
    for url in (
        f"/portfolios/{portfolio.id}/messaging/",
        f"/messaging/{first.id}/",
        f"/messaging/{second.id}/",
        f"/messaging/{second.id}/diff/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/portfolios/{portfolio}/messaging/",
        "/messaging/{messaging}/",
        "/messaging/{messaging}/edit/",
        "/messaging/{messaging}/delete/",
        "/messaging/{messaging}/diff/",
        "/messaging/new/?product={product}",
    ],
)
def test_another_portfolios_pages_are_a_404(client, portfolio, product, url):
    client.force_login(member(PortfolioFactory(), Role.ADMIN))
    messaging = draft(product, positioning="Secret positioning")
    response = client.get(url.format(portfolio=portfolio.id, messaging=messaging.id, product=product.id))
    assert response.status_code == 404 and "Secret" not in text(response)
