from django.urls import path

from products import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolios/new/", views.portfolio_create, name="portfolio-create"),
    path("portfolios/<int:portfolio_id>/", views.portfolio_dashboard, name="portfolio-dashboard"),
    path("products/<int:product_id>/", views.product_page, name="product-page"),
    path("products/<int:product_id>/transition/", views.product_transition, name="product-transition"),
]

# The portfolio switcher in the navigation (templates/base.html) submits here.
urlpatterns += [path("portfolios/switch/", views.portfolio_switch, name="portfolio-switch")]
