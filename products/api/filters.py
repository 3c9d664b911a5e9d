import django_filters

from products.models import LifecycleRule, Product, ProductLine, Stage


class ProductLineFilter(django_filters.FilterSet):
    class Meta:
        model = ProductLine
        fields = ["portfolio"]


class ProductFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)

    class Meta:
        model = Product
        fields = ["portfolio", "product_line", "stage"]


class LifecycleRuleFilter(django_filters.FilterSet):
    class Meta:
        model = LifecycleRule
        fields = ["portfolio", "from_stage", "to_stage", "condition_type", "is_active"]
