"""The pages a product manager works in: settings, members, lines, products, rules."""

import pytest

from products.models import DomainEvent, LifecycleRule, Membership, Product, ProductLine, Role
from tests.factories import (
    KPIFactory,
    LifecycleRuleFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone="Europe/Berlin")


@pytest.fixture
def admin(client, portfolio):
    user = member(portfolio, Role.ADMIN)
    client.force_login(user)
    return user


# --- settings -----------------------------------------------------------------------------------------


def test_settings_rename_and_change_time_zone(client, portfolio, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/portfolios/{portfolio.id}/settings/", {"name": "Acme Cloud", "timezone": "America/New_York"}
        )
    assert response.status_code == 302
    portfolio.refresh_from_db()
    assert (portfolio.name, portfolio.timezone) == ("Acme Cloud", "America/New_York")
    event = DomainEvent.objects.get(verb="portfolio.updated")
    assert event.changes == {"name": ["Acme", "Acme Cloud"], "timezone": ["Europe/Berlin", "America/New_York"]}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "Europe/Berlin\x00", "x" * 500])
def test_settings_refuse_an_unknown_zone_and_change_nothing(client, portfolio, admin, zone):
    response = client.post(f"/portfolios/{portfolio.id}/settings/", {"name": "Other", "timezone": zone})
    assert response.status_code == 400
    portfolio.refresh_from_db()
    assert (portfolio.name, portfolio.timezone) == ("Acme", "Europe/Berlin")


def test_time_zones_are_grouped_by_region(client, portfolio, admin):
    page = client.get(f"/portfolios/{portfolio.id}/settings/").content.decode()
    assert '<optgroup label="Europe">' in page and '<optgroup label="America">' in page
    assert 'value="Europe/Berlin" selected' in page


# --- members ------------------------------------------------------------------------------------------


def test_invite_by_email(client, portfolio, admin):
    colleague = UserFactory(username="priya", email="Priya@Example.com")
    response = client.post(
        f"/portfolios/{portfolio.id}/members/", {"username": "priya@example.com", "role": "product_manager"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(portfolio=portfolio, user=colleague).role == Role.PRODUCT_MANAGER


def test_invite_of_an_unknown_person_is_a_field_error(client, portfolio, admin):
    response = client.post(f"/portfolios/{portfolio.id}/members/", {"username": "ghost", "role": "viewer"})
    assert response.status_code == 400
    assert "Nobody called “ghost”" in response.content.decode()
    assert Membership.objects.filter(portfolio=portfolio).count() == 1


def test_change_role(client, portfolio, admin):
    viewer = Membership.objects.get(user=member(portfolio, Role.VIEWER))
    response = client.post(f"/members/{viewer.id}/role/", {f"m{viewer.id}-role": "marketer"})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == Role.MARKETER


def test_the_last_admin_cannot_be_removed_or_demoted(client, portfolio, admin):
    mine = Membership.objects.get(user=admin)
    client.post(f"/members/{mine.id}/remove/")
    client.post(f"/members/{mine.id}/role/", {f"m{mine.id}-role": "viewer"})
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN
    messages = [str(m) for m in client.get(f"/portfolios/{portfolio.id}/members/").context["messages"]]
    assert messages == [
        "The last admin cannot be removed: make someone else admin first.",
        "A portfolio needs at least one admin.",
    ]
    assert not DomainEvent.objects.filter(verb__startswith="membership.").exclude(verb="membership.created").exists()


def test_removing_a_member_takes_their_access(client, portfolio, admin):
    other = member(portfolio, Role.PRODUCT_MANAGER)
    membership = Membership.objects.get(user=other)
    assert client.post(f"/members/{membership.id}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=membership.id).exists()
    client.force_login(other)
    assert client.get(f"/portfolios/{portfolio.id}/").status_code == 404


def test_members_csv(client, portfolio, admin):
    response = client.get(f"/portfolios/{portfolio.id}/members/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "username,email,role,member_since" and admin.username in lines[1]


# --- product lines and products ---------------------------------------------------------------------


def test_create_product_line_with_a_taken_name_is_a_field_error(client, portfolio, admin):
    ProductLineFactory(portfolio=portfolio, name="Analytics")
    response = client.post(f"/product-lines/new/?portfolio={portfolio.id}", {"name": "Analytics"})
    assert response.status_code == 400
    assert "exists in the portfolio" in response.content.decode()
    assert ProductLine.objects.filter(portfolio=portfolio).count() == 1


def test_deleting_a_line_keeps_its_products(client, portfolio, admin):
    line = ProductLineFactory(portfolio=portfolio)
    product = ProductFactory(portfolio=portfolio, product_line=line)
    assert "stay in the portfolio" in client.get(f"/product-lines/{line.id}/delete/").content.decode()
    client.post(f"/product-lines/{line.id}/delete/")
    product.refresh_from_db()
    assert product.product_line is None


def test_create_product_starts_in_ideation_with_its_ledger_row(client, portfolio, admin):
    response = client.post(f"/products/new/?portfolio={portfolio.id}", {"name": "Hub", "description": "Dashboards"})
    product = Product.objects.get(name="Hub")
    assert response.status_code == 302 and response["Location"] == f"/products/{product.id}/"
    assert product.stage == "ideation" and product.transitions.count() == 1


def test_a_product_cannot_join_a_line_of_another_portfolio(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, name="Hub")
    foreign = ProductLineFactory()
    response = client.post(f"/products/{product.id}/edit/", {"name": "Hub", "product_line": foreign.id})
    assert response.status_code == 400
    product.refresh_from_db()
    assert product.product_line is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_product_names_are_bounded(client, portfolio, admin, name):
    response = client.post(f"/products/new/?portfolio={portfolio.id}", {"name": name})
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_stage_is_never_a_product_form_field(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, name="Hub", stage="research")
    client.post(f"/products/{product.id}/edit/", {"name": "Hub", "stage": "retired"})
    product.refresh_from_db()
    assert product.stage == "research"


def test_archive_takes_a_product_off_the_board_and_restore_brings_it_back(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, name="Ledger Classic")
    client.post(f"/products/{product.id}/archive/", {"archived": "true"})
    client.get(f"/products/{product.id}/")  # shows (and uses up) the confirmation message
    assert "Ledger Classic" not in client.get(f"/portfolios/{portfolio.id}/").content.decode()
    assert "Ledger Classic" in client.get(f"/portfolios/{portfolio.id}/?archived=on").content.decode()
    client.post(f"/products/{product.id}/archive/", {"archived": "false"})
    assert "Ledger Classic" in client.get(f"/portfolios/{portfolio.id}/").content.decode()


def test_delete_confirmation_says_what_goes_with_the_product(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, name="Hub")
    KPIFactory(product=product)
    page = client.get(f"/products/{product.id}/delete/").content.decode()
    assert "1 KPIs" in page and "Archive instead" in page


def test_delete_needs_the_products_name(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, name="Hub")
    client.post(f"/products/{product.id}/delete/", {"confirm_name": "hub"})
    assert Product.objects.filter(pk=product.id).exists()
    client.post(f"/products/{product.id}/delete/", {"confirm_name": "Hub"})
    assert not Product.objects.filter(pk=product.id).exists()
    assert DomainEvent.objects.filter(verb="product.deleted", object_id=product.id).exists()


# --- dashboard ------------------------------------------------------------------------------------------


def test_dashboard_filters_by_line_and_name(client, portfolio, admin):
    analytics = ProductLineFactory(portfolio=portfolio, name="Analytics")
    ProductFactory(portfolio=portfolio, name="Insight Hub", product_line=analytics)
    ProductFactory(portfolio=portfolio, name="Pulse Alerts", product_line=analytics)
    ProductFactory(portfolio=portfolio, name="FieldKit")
    page = client.get(f"/portfolios/{portfolio.id}/?product_line={analytics.id}&search=hub").content.decode()
    assert "Insight Hub" in page and "Pulse Alerts" not in page and "FieldKit" not in page


def test_dashboard_empty_state_points_to_the_pages_not_the_api(client, portfolio, admin):
    page = client.get(f"/portfolios/{portfolio.id}/").content.decode()
    assert (
        "Create the first product" in page and "/api/v1/" not in page and "admin" not in page.lower().split("<main")[1]
    )


def test_dashboard_csv_lists_the_shown_products(client, portfolio, admin):
    ProductFactory(portfolio=portfolio, name="=HYPERLINK(1)")
    body = client.get(f"/portfolios/{portfolio.id}/?format=csv").content.decode("utf-8-sig")
    assert body.splitlines()[0] == "id,name,product_line,stage,stage_changed_at,description"
    assert "'=HYPERLINK(1)" in body  # no formula runs in a spreadsheet


def test_dashboard_query_count_at_ten_times_the_products(client, portfolio, admin, django_assert_max_num_queries):
    line = ProductLineFactory(portfolio=portfolio)
    for n in range(100):
        KPIFactory(product=ProductFactory(portfolio=portfolio, product_line=line, name=f"P{n}"))
    client.get(f"/portfolios/{portfolio.id}/")  # the first visit also stores the portfolio in the session
    # 11 + the roadmap line's 2 + the launch line's 1 + open signals' 1 + pending suggestions' 1
    with django_assert_max_num_queries(16):
        assert client.get(f"/portfolios/{portfolio.id}/").status_code == 200


def test_viewer_sees_the_read_only_notice_and_no_create_button(client, portfolio):
    client.force_login(member(portfolio, Role.VIEWER))
    page = client.get(f"/portfolios/{portfolio.id}/").content.decode()
    assert "Read only" in page and "New product" not in page


# --- product page: the gate before the move ----------------------------------------------------------


def test_product_page_shows_the_next_gate_and_marks_refused_stages(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="research", description="")
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "Gate to Planning:</strong> not met yet" in page
    assert "no description of the problem" in page
    assert "Planning — gate not met" in page


def test_product_page_history_lists_the_changes(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, name="Hub")
    client.post(f"/products/{product.id}/edit/", {"name": "Hub 2", "description": "New"})
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "Updated" in page and "Hub → Hub 2" in page


# --- rules --------------------------------------------------------------------------------------------


RULE = {
    "name": "Growth on revenue",
    "from_stage": "launch",
    "to_stage": "growth",
    "condition_type": "kpi_threshold",
    "mode": "auto",
    "is_active": "on",
    "key": "weekly_active_users",
    "comparator": "gt",
    "value": "1500",
    "periods": "3",
    "granularity": "week",
}


def test_rule_form_builds_params_from_fields(client, portfolio, admin):
    assert client.post(f"/portfolios/{portfolio.id}/rules/new/", RULE).status_code == 302
    rule = LifecycleRule.objects.get(portfolio=portfolio)
    assert rule.params == {
        "key": "weekly_active_users",
        "granularity": "week",
        "comparator": "gt",
        "value": 1500,
        "periods": 3,
    }
    page = client.get(f"/portfolios/{portfolio.id}/rules/").content.decode()
    assert "Launch → Growth when weekly active users stay above 1,500 for 3 weeks in a row" in page


@pytest.mark.parametrize(
    "field, value",
    [
        ("value", "1e9999999"),
        ("value", "12abc"),
        ("periods", "0"),
        ("periods", "400"),
        ("key", "Not a key!"),
        ("to_stage", "launch"),
        ("value", "9" * 30),
    ],
)
def test_rule_form_refuses_bad_input_and_writes_nothing(client, portfolio, admin, field, value):
    response = client.post(f"/portfolios/{portfolio.id}/rules/new/", {**RULE, field: value})
    assert response.status_code == 400
    assert not LifecycleRule.objects.exists()


def test_rule_edit_keeps_its_params_in_the_form(client, portfolio, admin):
    rule = LifecycleRuleFactory(portfolio=portfolio)
    page = client.get(f"/rules/{rule.id}/edit/").content.decode()
    assert 'name="key" value="revenue"' in page and 'name="periods" value="3"' in page


def test_rules_list_query_count_at_ten_times_the_rules(client, portfolio, admin, django_assert_max_num_queries):
    for n in range(50):
        LifecycleRuleFactory(portfolio=portfolio, name=f"Rule {n}")
    client.get(f"/portfolios/{portfolio.id}/rules/")
    with django_assert_max_num_queries(8):
        assert client.get(f"/portfolios/{portfolio.id}/rules/").status_code == 200


def test_viewers_see_the_next_gate_too(client, portfolio):
    product = ProductFactory(portfolio=portfolio, stage="research", description="")
    client.force_login(member(portfolio, Role.VIEWER))
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "Gate to Planning:</strong> not met yet" in page and "Move product" not in page


def test_history_shows_stage_names_not_codes(client, portfolio, admin):
    from products import services

    product = ProductFactory(portfolio=portfolio, stage="research")
    services.product_transition(product_id=product.id, to_stage="planning", reason="Ready", override=True, actor=admin)
    assert "Stage: Research → Planning" in client.get(f"/products/{product.id}/").content.decode()


def test_stage_changes_follow_the_dashboard_filter(client, portfolio, admin):
    from products import services

    shown = ProductFactory(portfolio=portfolio, name="Insight Hub", stage="research")
    hidden = ProductFactory(portfolio=portfolio, name="FieldKit", stage="research")
    for product in (shown, hidden):
        services.product_transition(product_id=product.id, to_stage="planning", reason=f"{product.name} moved")
    page = client.get(f"/portfolios/{portfolio.id}/?search=insight").content.decode()
    assert "Insight Hub moved" in page and "FieldKit moved" not in page


def test_history_names_the_product_line_not_its_id(client, portfolio, admin):
    analytics = ProductLineFactory(portfolio=portfolio, name="Analytics")
    mobile = ProductLineFactory(portfolio=portfolio, name="Mobile")
    product = ProductFactory(portfolio=portfolio, name="Hub", product_line=analytics)
    client.post(f"/products/{product.id}/edit/", {"name": "Hub", "product_line": mobile.id})
    assert "Product line: Analytics → Mobile" in client.get(f"/products/{product.id}/").content.decode()


def test_product_lines_page_query_count_at_ten_times_the_lines(client, portfolio, admin, django_assert_max_num_queries):
    for n in range(50):
        ProductFactory(portfolio=portfolio, product_line=ProductLineFactory(portfolio=portfolio, name=f"Line {n}"))
    client.get(f"/portfolios/{portfolio.id}/product-lines/")
    with django_assert_max_num_queries(7):
        assert client.get(f"/portfolios/{portfolio.id}/product-lines/").status_code == 200


def test_members_page_query_count_at_ten_times_the_members(client, portfolio, admin, django_assert_max_num_queries):
    for _ in range(50):
        member(portfolio, Role.VIEWER)
    client.get(f"/portfolios/{portfolio.id}/members/")
    with django_assert_max_num_queries(7):
        assert client.get(f"/portfolios/{portfolio.id}/members/").status_code == 200
