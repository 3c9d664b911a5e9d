"""The launch calendar's rows of the generated access test (tests/test_access_matrix.py merges them).

Every member reads the calendar and may make their own feed address (a viewer too: it only reads). The
API answers another portfolio's id in `?portfolio=` with an empty calendar, as every id in a query
parameter does. The public `calendar/<token>.ics` is in the matrix's PUBLIC set (a calendar app cannot
sign in): tests/gtm/test_calendar_feed.py tests it."""

from tests.test_access_matrix import Op, api, page

ENDPOINTS = {
    "portfolios/<int:portfolio_id>/calendar/": [
        page("GET", "/portfolios/{portfolio}/calendar/", "read"),
        page("GET", "/portfolios/{portfolio}/calendar/?month=2026-03&product={product}&kind=launch&kind=event", "read"),
        page("GET", "/portfolios/{portfolio}/calendar/?format=csv", "read"),
        page("GET", "/portfolios/{portfolio}/calendar/?format=ics", "read"),
    ],
    "portfolios/<int:portfolio_id>/calendar/feed/": [
        Op("GET", "/portfolios/{portfolio}/calendar/feed/", "read", ok=(302,)),
        page("POST", "/portfolios/{portfolio}/calendar/feed/", "read", {"action": "make"}),
        page("POST", "/portfolios/{portfolio}/calendar/feed/", "read", {"action": "reset"}),
        page("POST", "/portfolios/{portfolio}/calendar/feed/", "read", {"action": "revoke"}),
    ],
    "api/v1/calendar/": [
        api("GET", "/api/v1/calendar/?portfolio={portfolio}", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/calendar/?portfolio={portfolio}&product={product}&kind=launch_task",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/calendar/?portfolio={portfolio}&format=ics", "read", scoped_list=True),
    ],
}
