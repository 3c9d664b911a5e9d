"""Filters of the launch lists: strict (a value outside the schema is a 400) and blind to other
portfolios (an id filter of another portfolio's object answers an empty page)."""

import django_filters

from gtm.models import Function, LaunchPlan, LaunchTask, LaunchTemplate, Tier
from gtm.selectors import overdue_q
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.selectors import portfolio_list_for_user


class LaunchTemplateFilter(StrictFilterSet):
    portfolio = IdFilter()
    tier = django_filters.ChoiceFilter(choices=Tier.choices)

    class Meta:
        model = LaunchTemplate
        fields = ["portfolio", "tier"]


class LaunchPlanFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    release = IdFilter()
    status = django_filters.ChoiceFilter(choices=LaunchPlan.Status.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    owner = django_filters.CharFilter(field_name="owner__username", max_length=150)

    class Meta:
        model = LaunchPlan
        fields = ["portfolio", "product", "release", "status", "tier", "owner"]


class LaunchTaskFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="launch_plan__product__portfolio")
    product = IdFilter(field_name="launch_plan__product")
    launch_plan = IdFilter()
    status = django_filters.ChoiceFilter(choices=LaunchTask.Status.choices)
    function = django_filters.ChoiceFilter(choices=Function.choices)
    owner = django_filters.CharFilter(field_name="owner__username", max_length=150)
    overdue = BooleanFilter(method="filter_overdue", help_text="Due before the portfolio's today and not done.")

    class Meta:
        model = LaunchTask
        fields = ["portfolio", "product", "launch_plan", "status", "function", "owner", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        # Each task is judged on its own portfolio's today (the portfolios' time zones differ).
        overdue = overdue_q(portfolio_list_for_user(self.request.user))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
