import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from gtm.models import (
    Asset,
    Campaign,
    LaunchPlan,
    LaunchTask,
    LaunchTemplate,
    LaunchTemplateTask,
    MarketingEvent,
    Messaging,
    PressItem,
)
from kpis.models import KPI, LaunchReview, Measurement, Signal
from products.models import (
    AnalysisSettings,
    BudgetLine,
    BudgetPlan,
    Competitor,
    CompetitorMove,
    Document,
    DocumentComment,
    Feedback,
    Goal,
    Idea,
    KeyResult,
    LifecycleRule,
    MarketInsight,
    Membership,
    Persona,
    Portfolio,
    Product,
    ProductLine,
    Role,
    SalesTarget,
    Segment,
    Stage,
    StatusBookEntry,
)
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


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Segment {n}")


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Persona {n}")


# --- strategy: rows written directly (test setup; real writes go through the services) -----------------


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 12, 31)


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    goal = factory.SubFactory(GoalFactory)
    title = factory.Sequence(lambda n: f"Key result {n}")
    start_value = Decimal("0")
    target_value = Decimal("100")


class MarketInsightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketInsight

    portfolio = factory.SubFactory(PortfolioFactory)
    kind = "trend"
    title = factory.Sequence(lambda n: f"Insight {n}")
    observed_on = datetime.date(2026, 3, 1)


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Competitor {n}")


class CompetitorMoveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetitorMove

    competitor = factory.SubFactory(CompetitorFactory)
    kind = "launch"
    happened_on = datetime.date(2026, 3, 1)
    description = factory.Sequence(lambda n: f"Move {n}")


class IdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Idea

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Idea {n}")


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    product = factory.SubFactory(ProductFactory)
    source = "interview"
    text = factory.Sequence(lambda n: f"Feedback {n}")
    received_on = datetime.date(2026, 3, 1)


# --- go-to-market: rows written directly (test setup; real writes go through gtm.services) -------------


class LaunchTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LaunchTemplate

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    tier = 2


class LaunchTemplateTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LaunchTemplateTask

    template = factory.SubFactory(LaunchTemplateFactory)
    title = factory.Sequence(lambda n: f"Template task {n}")
    function = "marketing"
    offset_days = -7
    required = True


class LaunchPlanFactory(factory.django.DjangoModelFactory):
    """A plan without tasks is `ready` (readiness 100 with no required task); add tasks through
    gtm.services or call `gtm.services.launch_plan_sync_status` after writing them directly."""

    class Meta:
        model = LaunchPlan

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Launch {n}")
    tier = 2
    launch_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))


class LaunchTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LaunchTask

    launch_plan = factory.SubFactory(LaunchPlanFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    function = "marketing"
    status = "todo"
    required = True


class MessagingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Messaging

    product = factory.SubFactory(ProductFactory)
    positioning = "For product teams who lose track of launches."
    value_proposition = "Every launch on time, every team ready."
    key_messages = factory.LazyFunction(lambda: [{"message": "Ship with confidence", "proof_points": ["Fewer slips"]}])
    objections = factory.LazyFunction(lambda: [{"objection": "Too expensive", "response": "Pays back in a quarter"}])

    @factory.post_generation
    def origin_self(obj, create, extracted, **kwargs):
        if create and obj.origin_id is None:
            obj.origin = obj
            obj.save(update_fields=["origin"])


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = "email"
    start_date = factory.LazyFunction(datetime.date.today)
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=30))
    budget = Decimal("5000")
    spend = Decimal("1200")


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Asset {n}")
    kind = "battle_card"
    url = "https://intranet.example.com/battle-card"
    audience = "sales"


class MarketingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketingEvent

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Event {n}")
    kind = "trade_show"
    start_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=40))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=2))
    location = "Berlin"
    cost = Decimal("8000")


class PressItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PressItem

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Press item {n}")
    kind = "press_release"
    publish_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))


# --- the product manager's desk: rows written directly (test setup; real writes go through the services) --


class StatusBookEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusBookEntry

    product = factory.SubFactory(ProductFactory)
    author = factory.SubFactory(UserFactory)
    date = datetime.date(2026, 3, 2)
    category = "daily"
    minutes = 60
    text = factory.Sequence(lambda n: f"Entry {n}")


class BudgetPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetPlan

    product = factory.SubFactory(ProductFactory)
    portfolio = factory.LazyAttribute(lambda plan: (plan.product or plan.product_line).portfolio)
    year = 2026


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    plan = factory.SubFactory(BudgetPlanFactory)
    quarter = 1
    channel = "email"
    amount = Decimal("1000")


class SalesTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTarget

    plan = factory.SubFactory(BudgetPlanFactory)
    quarter = 1
    amount = Decimal("10000")


class AnalysisSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnalysisSettings

    portfolio = factory.SubFactory(PortfolioFactory)


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    product = factory.SubFactory(ProductFactory)
    kind = "prd"
    title = factory.Sequence(lambda n: f"Document {n}")
    body = "# Problem\n\nWhat we solve."


class DocumentCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentComment

    document = factory.SubFactory(DocumentFactory)
    version = 1
    body = factory.Sequence(lambda n: f"Comment {n}")


class StageSuggestionFactory(factory.django.DjangoModelFactory):
    """A pending suggestion written directly (real ones come from a `suggest` rule's evaluation)."""

    class Meta:
        model = "products.StageSuggestion"

    product = factory.SubFactory(ProductFactory, stage=Stage.LAUNCH)
    rule = factory.SubFactory(
        LifecycleRuleFactory, portfolio=factory.SelfAttribute("..product.portfolio"), mode="suggest"
    )
    from_stage = factory.LazyAttribute(lambda o: o.product.stage)
    to_stage = Stage.GROWTH
    reason = factory.LazyAttribute(lambda o: o.rule.name if o.rule else "A rule's suggestion")
    evidence = factory.LazyFunction(dict)
    evidence_key = factory.Sequence(lambda n: f"evidence-{n}")
    stay_started_at = factory.LazyAttribute(lambda o: o.product.stage_changed_at)
    created_at = factory.LazyFunction(timezone.now)


class StageGateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.StageGate"
        django_get_or_create = ("portfolio", "stage")

    portfolio = factory.SubFactory(PortfolioFactory)
    stage = Stage.RESEARCH
    criteria = factory.LazyFunction(lambda: [{"type": "has_description", "params": {}}])


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.Notification"

    user = factory.SubFactory(UserFactory)
    portfolio = factory.SubFactory(PortfolioFactory)
    kind = "stage_changed"
    title = factory.Sequence(lambda n: f"Product {n} moved to Growth")
    url = "/"
    created_at = factory.LazyFunction(timezone.now)


class NotificationSettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.NotificationSetting"

    user = factory.SubFactory(UserFactory)
    portfolio = factory.SubFactory(PortfolioFactory)
    kind = "stage_changed"


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.Webhook"

    portfolio = factory.SubFactory(PortfolioFactory)
    url = "https://hooks.example.com/pmflow"
    events = factory.LazyFunction(lambda: ["product.stage_changed"])
    secret = factory.Sequence(lambda n: f"whsec_test_{n:08d}")


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.WebhookDelivery"

    webhook = factory.SubFactory(WebhookFactory)
    event = "product.stage_changed"
    payload = factory.LazyFunction(lambda: {"event": "product.stage_changed", "data": {}})
    created_at = factory.LazyFunction(timezone.now)


class LaunchReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LaunchReview

    launch_plan = factory.SubFactory(
        LaunchPlanFactory,
        status="launched",
        launched_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=45)),
        launch_date=factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=45)),
    )


class SignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signal

    product = factory.SubFactory(ProductFactory)
    portfolio = factory.SelfAttribute("product.portfolio")
    kind = "campaign_low_conversion"
    subject_key = factory.Sequence(lambda n: f"campaign:{n}")
    message = "The campaign brings visits but conversions stay below target."
