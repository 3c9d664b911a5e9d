import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from kpis.models import KPI, Measurement
from products.models import LifecycleRule, Membership, Portfolio, Product, ProductLine, Role, Stage
from roadmap.models import Release, RoadmapItem


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    name = factory.Sequence(lambda n: f"Portfolio {n}")
    timezone = "UTC"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    portfolio = factory.SubFactory(PortfolioFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PRODUCT_MANAGER


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Line {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A product placed directly in a stage (test setup; real moves go through the service)."""

    class Meta:
        model = Product

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    description = "Solves a real problem."
    stage = Stage.IDEATION
    stage_changed_at = factory.LazyFunction(timezone.now)


class KPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KPI

    product = factory.SubFactory(ProductFactory)
    key = factory.Sequence(lambda n: f"metric_{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    aggregation = "sum"
    direction = "higher_is_better"


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    kpi = factory.SubFactory(KPIFactory)
    observed_at = factory.LazyFunction(timezone.now)
    value = 1


class LifecycleRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LifecycleRule

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    from_stage = Stage.LAUNCH
    to_stage = Stage.GROWTH
    condition_type = "kpi_threshold"
    params = factory.LazyFunction(
        lambda: {"key": "revenue", "granularity": "day", "comparator": "gte", "value": 100, "periods": 3}
    )


def member(portfolio, role: str | None):
    """A user with `role` in `portfolio`; role None gives a member of some other portfolio."""
    user = UserFactory()
    if role is None:
        MembershipFactory(user=user, role=Role.ADMIN)
    else:
        MembershipFactory(user=user, portfolio=portfolio, role=role)
    return user


class StageTransitionFactory(factory.django.DjangoModelFactory):
    """A ledger row written directly (test setup; real moves go through the service)."""

    class Meta:
        model = "products.StageTransition"

    product = factory.SubFactory(ProductFactory)
    from_stage = Stage.IDEATION
    to_stage = Stage.RESEARCH
    at = factory.LazyFunction(timezone.now)
    actor = factory.SubFactory(UserFactory)
    reason = "Interviews done"


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    product = factory.SubFactory(ProductFactory)
    version = factory.Sequence(lambda n: f"1.{n}")


class RoadmapItemFactory(factory.django.DjangoModelFactory):
    """An item written directly (test setup: rank as given; real writes go through the services)."""

    class Meta:
        model = RoadmapItem

    product = factory.SubFactory(ProductFactory)
    kind = "feature"
    title = factory.Sequence(lambda n: f"Item {n}")
    horizon = "later"
    rank = 0
