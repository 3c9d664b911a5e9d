import django_filters

from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from roadmap.models import Release, RoadmapDependency, RoadmapItem


class RoadmapItemFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    release = IdFilter()
    parent = IdFilter()
    key_result = IdFilter()
    owner = django_filters.CharFilter(field_name="owner__username", max_length=150)
    regulatory = BooleanFilter()
    kind = django_filters.ChoiceFilter(choices=RoadmapItem.Kind.choices)
    status = django_filters.ChoiceFilter(choices=RoadmapItem.Status.choices)
    horizon = django_filters.ChoiceFilter(choices=RoadmapItem.Horizon.choices)
    moscow = django_filters.ChoiceFilter(choices=RoadmapItem.MoSCoW.choices)

    class Meta:
        model = RoadmapItem
        fields = ["portfolio", "product", "kind", "status", "horizon", "release", "parent", "moscow", "owner"]


class ReleaseFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    status = django_filters.ChoiceFilter(choices=Release.Status.choices)

    class Meta:
        model = Release
        fields = ["portfolio", "product", "status"]


class DependencyFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="item__product__portfolio")
    item = IdFilter()
    depends_on = IdFilter()
    kind = django_filters.ChoiceFilter(choices=RoadmapDependency.Kind.choices)

    class Meta:
        model = RoadmapDependency
        fields = ["portfolio", "item", "depends_on", "kind"]
