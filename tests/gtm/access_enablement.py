"""Sales enablement, events and press: rows of the generated access test (tests/test_access_matrix.py merges
them). The house's asset {asset} "Lunar battle card" of {plan} is a link (its download address sends members
on to the link), its event {event} "Gravity expo" shows {product}, its press item {press} is "Solstice
announcement". Upload rows send a file: ("name.pdf", b"bytes")."""

from tests.test_access_matrix import api, page

WRITERS = frozenset({"admin", "product_manager", "marketer"})

DECK = ("deck.pdf", b"%PDF-1.4 a small deck")
ASSET_FORM = {"title": "Launch deck", "kind": "pitch_deck", "audience": "sales", "version": "1"}
EVENT_FORM = {
    "name": "Spring meetup",
    "kind": "meetup",
    "start_date": "2027-04-06",
    "end_date": "2027-04-06",
    "location": "Lisbon",
    "products": "{product}",
    "cost": "1200",
    "leads": "14",
}
PRESS_FORM = {"title": "Launch post", "kind": "blog_post", "status": "draft", "channel": "Company blog"}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/assets/": [
        page("GET", "/portfolios/{portfolio}/assets/", "read"),
        page(
            "GET",
            "/portfolios/{portfolio}/assets/?product={product}&launch_plan={plan}&kind=battle_card&audience=sales",
            "read",
        ),
    ],
    "assets/new/": [
        page("GET", "/assets/new/?product={product}&launch_plan={plan}", WRITERS),
        page("POST", "/assets/new/?product={product}", WRITERS, {**ASSET_FORM, "url": "https://x.example.com/deck"}),
        page("POST", "/assets/new/?product={product}", WRITERS, {**ASSET_FORM, "file": DECK}),
    ],
    "assets/<int:asset_id>/edit/": [
        page("GET", "/assets/{asset}/edit/", WRITERS),
        page(
            "POST",
            "/assets/{asset}/edit/",
            WRITERS,
            {
                "title": "Lunar battle card",
                "kind": "battle_card",
                "audience": "sales",
                "version": "2",
                "launch_plan": "{plan}",
                "url": "https://intranet.example.com/battle-card",
            },
        ),
        page(
            "POST",
            "/assets/{asset}/edit/",
            WRITERS,
            {"title": "Lunar battle card", "kind": "battle_card", "audience": "sales", "version": "3", "file": DECK},
        ),
    ],
    "assets/<int:asset_id>/delete/": [
        page("GET", "/assets/{asset}/delete/", WRITERS),
        page("POST", "/assets/{asset}/delete/", WRITERS, {}),
    ],
    # The house's asset is a link: members are sent on to it (302); anyone else gets the 404.
    "assets/<int:asset_id>/file/": [page("GET", "/assets/{asset}/file/", "read")],
    "portfolios/<int:portfolio_id>/events/": [
        page("GET", "/portfolios/{portfolio}/events/", "read"),
        page("GET", "/portfolios/{portfolio}/events/?product={product}&kind=trade_show", "read"),
        page("GET", "/portfolios/{portfolio}/events/?format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/events/new/": [
        page("GET", "/portfolios/{portfolio}/events/new/?product={product}", WRITERS),
        page("POST", "/portfolios/{portfolio}/events/new/", WRITERS, EVENT_FORM),
    ],
    "events/<int:event_id>/edit/": [
        page("GET", "/events/{event}/edit/", WRITERS),
        page("POST", "/events/{event}/edit/", WRITERS, {**EVENT_FORM, "name": "Gravity expo", "leads": "90"}),
    ],
    "events/<int:event_id>/delete/": [
        page("GET", "/events/{event}/delete/", WRITERS),
        page("POST", "/events/{event}/delete/", WRITERS, {}),
    ],
    "portfolios/<int:portfolio_id>/press/": [
        page("GET", "/portfolios/{portfolio}/press/", "read"),
        page("GET", "/portfolios/{portfolio}/press/?product={product}&launch_plan={plan}&status=draft", "read"),
        page("GET", "/portfolios/{portfolio}/press/?format=csv", "read"),
    ],
    "press/new/": [
        page("GET", "/press/new/?product={product}&launch_plan={plan}", WRITERS),
        page("POST", "/press/new/?product={product}", WRITERS, PRESS_FORM),
    ],
    "press/<int:item_id>/edit/": [
        page("GET", "/press/{press}/edit/", WRITERS),
        page(
            "POST",
            "/press/{press}/edit/",
            WRITERS,
            {**PRESS_FORM, "title": "Solstice announcement", "status": "scheduled", "publish_date": "2027-06-21"},
        ),
    ],
    "press/<int:item_id>/delete/": [
        page("GET", "/press/{press}/delete/", WRITERS),
        page("POST", "/press/{press}/delete/", WRITERS, {}),
    ],
    # --- API ---
    "api/v1/^assets/$": [
        api("GET", "/api/v1/assets/?search=Lunar", "read", scoped_list=True),
        api("GET", "/api/v1/assets/?product={product}&launch_plan={plan}", "read", scoped_list=True),
        api("POST", "/api/v1/assets/", WRITERS, {"product": "{product}", "title": "FAQ", "url": "https://x.test/faq"}),
        api("POST", "/api/v1/assets/", WRITERS, {"product": "{product}", "title": "Deck", "file": DECK}),
    ],
    "api/v1/^assets/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/assets/{asset}/", "read"),
        api("PATCH", "/api/v1/assets/{asset}/", WRITERS, {"version": "2"}),
        api("PATCH", "/api/v1/assets/{asset}/", WRITERS, {"file": DECK}),
        api("DELETE", "/api/v1/assets/{asset}/", WRITERS),
    ],
    "api/v1/^events/$": [
        api("GET", "/api/v1/events/?search=Gravity", "read", scoped_list=True),
        api("GET", "/api/v1/events/?product={product}&from=2000-01-01", "read", scoped_list=True),
        api(
            "POST",
            "/api/v1/events/",
            WRITERS,
            {"portfolio": "{portfolio}", "name": "Webinar", "kind": "webinar", "start_date": "2027-02-02"},
        ),
    ],
    "api/v1/^events/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/events/{event}/", "read"),
        api("PATCH", "/api/v1/events/{event}/", WRITERS, {"leads": 120}),
        api("DELETE", "/api/v1/events/{event}/", WRITERS),
    ],
    "api/v1/^press-items/$": [
        api("GET", "/api/v1/press-items/?search=Solstice", "read", scoped_list=True),
        api("GET", "/api/v1/press-items/?launch_plan={plan}&status=draft", "read", scoped_list=True),
        api("POST", "/api/v1/press-items/", WRITERS, {"product": "{product}", "title": "Briefing", "kind": "briefing"}),
    ],
    "api/v1/^press-items/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/press-items/{press}/", "read"),
        api("PATCH", "/api/v1/press-items/{press}/", WRITERS, {"channel": "Wire"}),
        api("DELETE", "/api/v1/press-items/{press}/", WRITERS),
    ],
}
