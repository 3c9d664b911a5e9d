"""Marketing plans and budgets: rows of the generated access test (tests/test_access_matrix.py merges them). The
house's plan {budget_plan} is {product}'s 2026 plan with a Q1 email line and a Q1 target; its line {line}
has no plan yet. Admins and product managers write plans; every member reads them."""

from tests.test_access_matrix import api, page

MANAGERS = frozenset({"admin", "product_manager"})


def _lines(*rows) -> dict:
    """The plan form's budget lines (a formset) as posted."""
    body = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for index, (quarter, channel, amount) in enumerate(rows):
        body.update(
            {f"lines-{index}-quarter": quarter, f"lines-{index}-channel": channel, f"lines-{index}-amount": amount}
        )
    return body


LINE_PLAN_FORM = {
    "owner": "line-{line}",
    "year": "2026",
    "target_1": "80000",
    "target_2": "",
    "target_3": "90000",
    "target_4": "",
    **_lines(("1", "Paid search", "4000"), ("2", "Events", "12000")),
}
PRODUCT_PLAN_FORM = {
    "owner": "product-{product}",
    "year": "2026",
    "target_1": "25000",
    "target_2": "30000",
    "target_3": "",
    "target_4": "",
    **_lines(("1", "email", "5500"), ("3", "Content", "900")),
}
PLAN_JSON = {
    "product_line": "{line}",
    "year": 2026,
    "budget_lines": [{"quarter": 1, "channel": "email", "amount": 2500}],
    "sales_targets": [{"quarter": 1, "amount": 60000}],
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/budget-plans/": [
        page("GET", "/portfolios/{portfolio}/budget-plans/", "read"),
        page("GET", "/portfolios/{portfolio}/budget-plans/?year=2026&owner=product-{product}", "read"),
        page("GET", "/portfolios/{portfolio}/budget-plans/?owner=line-{line}&page=1", "read"),
    ],
    "budget-plans/new/": [
        page("GET", "/budget-plans/new/?portfolio={portfolio}&product={product}", MANAGERS),
        page("GET", "/budget-plans/new/?portfolio={portfolio}&product_line={line}&year=2027", MANAGERS),
        page("POST", "/budget-plans/new/?portfolio={portfolio}", MANAGERS, LINE_PLAN_FORM),
        # "Add a line": the form comes back with one more row, nothing saved.
        page("POST", "/budget-plans/new/?portfolio={portfolio}", MANAGERS, {**LINE_PLAN_FORM, "add": "line"}),
    ],
    "budget-plans/<int:plan_id>/": [
        page("GET", "/budget-plans/{budget_plan}/", "read"),
        page("GET", "/budget-plans/{budget_plan}/?format=csv", "read"),
    ],
    "budget-plans/<int:plan_id>/edit/": [
        page("GET", "/budget-plans/{budget_plan}/edit/", MANAGERS),
        page("POST", "/budget-plans/{budget_plan}/edit/", MANAGERS, PRODUCT_PLAN_FORM),
    ],
    "budget-plans/<int:plan_id>/delete/": [
        page("GET", "/budget-plans/{budget_plan}/delete/", MANAGERS),
        page("POST", "/budget-plans/{budget_plan}/delete/", MANAGERS, {}),
    ],
    # --- API ---
    "api/v1/^budget-plans/$": [
        api("GET", "/api/v1/budget-plans/?search=Nebula", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/budget-plans/?portfolio={portfolio}&product={product}&year=2026&ordering=-year",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/budget-plans/?product_line={line}&format=csv", "read", scoped_list=True),
        api("POST", "/api/v1/budget-plans/", MANAGERS, PLAN_JSON),
    ],
    "api/v1/^budget-plans/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/budget-plans/{budget_plan}/", "read"),
        api("PATCH", "/api/v1/budget-plans/{budget_plan}/", MANAGERS, {"year": 2027}),
        api(
            "PUT",
            "/api/v1/budget-plans/{budget_plan}/",
            MANAGERS,
            {
                "product": "{product}",
                "year": 2026,
                "budget_lines": [{"quarter": 2, "channel": "events", "amount": 8000}],
                "sales_targets": [],
            },
        ),
        api("DELETE", "/api/v1/budget-plans/{budget_plan}/", MANAGERS),
    ],
    "api/v1/^budget-plans/(?P<pk>[^/.]+)/actuals/$": [
        api("GET", "/api/v1/budget-plans/{budget_plan}/actuals/", "read"),
        api("GET", "/api/v1/budget-plans/{budget_plan}/actuals/?format=csv", "read"),
    ],
}
