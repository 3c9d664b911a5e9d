"""The strategy search and a product's strategy overview (the house's {product} with its goal, insight, move,
segment, idea and feedback): rows of the generated access test
(tests/test_access_matrix.py merges them). The house's insight {insight} "Cosmic insight", idea {idea}
"Comet idea", feedback {feedback} "Meteorite feedback", competitor {competitor} "Rival Corp" and the
persona "Ops Olga" are what the searches below find; an outsider finds none of them."""

from tests.test_access_matrix import api, page

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/strategy/search/": [
        page("GET", "/portfolios/{portfolio}/strategy/search/", "read"),
        page("GET", "/portfolios/{portfolio}/strategy/search/?q=Cosmic", "read"),
        page("GET", "/portfolios/{portfolio}/strategy/search/?q=Rival", "read"),
    ],
    "products/<int:product_id>/strategy/": [page("GET", "/products/{product}/strategy/", "read")],
    # --- API ---
    "api/v1/strategy/search/": [
        api("GET", "/api/v1/strategy/search/?portfolio={portfolio}&q=Comet", "read", scoped_list=True),
        api("GET", "/api/v1/strategy/search/?portfolio={portfolio}&q=Meteorite", "read", scoped_list=True),
    ],
}
