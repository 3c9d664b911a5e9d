"""Cross-functional signals: rows of the generated access test (tests/test_access_matrix.py merges them). The
house's open signal {signal} "Quasar signal" (traffic without conversions) is about {product}, its KPI {kpi}
and the campaign {campaign}. Every member reads signals; nobody writes them (the detector opens and resolves
them), so the API answers 405 to a write from anyone who may see it."""

from tests.test_access_matrix import api, page

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/signals/": [
        page("GET", "/portfolios/{portfolio}/signals/", "read"),
        page(
            "GET",
            "/portfolios/{portfolio}/signals/?product={product}&kind=campaign_low_conversion&resolved=all",
            "read",
        ),
        page("GET", "/portfolios/{portfolio}/signals/?format=csv", "read"),
    ],
    "signals/<int:signal_id>/": [page("GET", "/signals/{signal}/", "read")],
    # --- API ---
    "api/v1/^signals/$": [
        api("GET", "/api/v1/signals/", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/signals/?portfolio={portfolio}&product={product}&kind=campaign_low_conversion&open=true"
            "&campaign={campaign}&kpi={kpi}&search=Quasar",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/signals/?format=csv", "read", scoped_list=True),
    ],
    "api/v1/^signals/(?P<pk>[^/.]+)/$": [api("GET", "/api/v1/signals/{signal}/", "read")],
}
