from django.urls import path

from products import (
    audience_views,
    feedback_views,
    gate_views,
    market_views,
    notification_views,
    portfolio_views,
    product_views,
    rule_views,
    status_book_views,
    suggestion_views,
    views,
    webhook_views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolios/new/", views.portfolio_create, name="portfolio-create"),
    path("portfolios/<int:portfolio_id>/", views.portfolio_dashboard, name="portfolio-dashboard"),
    path("products/<int:product_id>/", views.product_page, name="product-page"),
    path("products/<int:product_id>/transition/", views.product_transition, name="product-transition"),
    path("portfolios/<int:portfolio_id>/settings/", portfolio_views.portfolio_settings, name="portfolio-settings"),
    path("portfolios/<int:portfolio_id>/members/", portfolio_views.portfolio_members, name="portfolio-members"),
    path("members/<int:membership_id>/role/", portfolio_views.member_role, name="member-role"),
    path("members/<int:membership_id>/remove/", portfolio_views.member_remove, name="member-remove"),
    path("portfolios/<int:portfolio_id>/product-lines/", portfolio_views.product_lines, name="product-lines"),
    path("product-lines/new/", portfolio_views.product_line_create, name="product-line-create"),
    path("product-lines/<int:product_line_id>/edit/", portfolio_views.product_line_edit, name="product-line-edit"),
    path(
        "product-lines/<int:product_line_id>/delete/", portfolio_views.product_line_delete, name="product-line-delete"
    ),
    path("products/new/", product_views.product_create, name="product-create"),
    path("products/<int:product_id>/edit/", product_views.product_edit, name="product-edit"),
    path("products/<int:product_id>/archive/", product_views.product_archive, name="product-archive"),
    path("products/<int:product_id>/delete/", product_views.product_delete, name="product-delete"),
    path("portfolios/<int:portfolio_id>/rules/", rule_views.rule_list, name="rule-list"),
    path("portfolios/<int:portfolio_id>/rules/new/", rule_views.rule_create, name="rule-create"),
    path("rules/<int:rule_id>/edit/", rule_views.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/delete/", rule_views.rule_delete, name="rule-delete"),
]

# The portfolio switcher in the navigation (templates/base.html) submits here.
urlpatterns += [path("portfolios/switch/", views.portfolio_switch, name="portfolio-switch")]

# Strategy pages: each module keeps its own routes beside its views.
urlpatterns += [*market_views.urlpatterns, *audience_views.urlpatterns, *feedback_views.urlpatterns]
# The product manager's desk.
urlpatterns += status_book_views.urlpatterns
urlpatterns += [
    *suggestion_views.urlpatterns,
    *gate_views.urlpatterns,
    *notification_views.urlpatterns,
    *webhook_views.urlpatterns,
]
