"""Go-to-market: launch templates and plans with their checklist, messaging and positioning, campaigns,
sales enablement assets, marketing events, the press plan, and calendar feed tokens.

A launch plan's `status` is kept by the services in step with its tasks (`ready` exactly while every
required task is done); `readiness` is computed in the query (`gtm.selectors.launch_plans`).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from products.models import Persona, Portfolio, Product, Segment
from roadmap.models import Release


class Tier(models.IntegerChoices):
    ONE = 1, "Tier 1 — major launch"
    TWO = 2, "Tier 2 — notable release"
    THREE = 3, "Tier 3 — minor update"


class Function(models.TextChoices):
    PRODUCT = "product", "Product"
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    SUPPORT = "support", "Support"
    LEGAL = "legal", "Legal"
    ENGINEERING = "engineering", "Engineering"


class LaunchTemplate(models.Model):
    """A portfolio's checklist for launches of one tier; a plan made from it copies its tasks."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="launch_templates")
    name = models.CharField(max_length=200)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TWO)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["portfolio_id", "tier", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="launch_template_name_unique"),
            models.CheckConstraint(condition=Q(tier__in=[1, 2, 3]), name="launch_template_tier_known"),
        ]

    def __str__(self):
        return self.name


class LaunchTemplateTask(models.Model):
    template = models.ForeignKey(LaunchTemplate, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    function = models.CharField(max_length=12, choices=Function.choices)
    offset_days = models.SmallIntegerField(
        default=0, help_text="Due this many days after launch day (negative: before)."
    )
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template_id", "position", "id"]

    def __str__(self):
        return self.title


class LaunchPlan(models.Model):
    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        READY = "ready", "Ready"
        LAUNCHED = "launched", "Launched"
        CANCELLED = "cancelled", "Cancelled"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="launch_plans")
    release = models.ForeignKey(Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="launch_plans")
    template = models.ForeignKey(
        LaunchTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans", editable=False
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TWO)
    launch_date = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="launch_plans"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY, editable=False)
    launched_at = models.DateTimeField(null=True, blank=True, editable=False)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    launch_reason = models.TextField(blank=True, editable=False, help_text="Why it launched with open tasks.")
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["launch_date", "id"]
        indexes = [models.Index(fields=["product", "status"], name="launch_plan_product_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["planning", "ready", "launched", "cancelled"]), name="launch_plan_status_known"
            ),
            models.CheckConstraint(condition=Q(tier__in=[1, 2, 3]), name="launch_plan_tier_known"),
            models.CheckConstraint(
                condition=Q(status="launched", launched_at__isnull=False) | (~Q(status="launched")),
                name="launch_plan_launched_has_date",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        """Still being prepared: neither launched nor cancelled."""
        return self.status in (self.Status.PLANNING, self.Status.READY)


class LaunchTask(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", "To do"
        DOING = "doing", "Doing"
        DONE = "done", "Done"
        BLOCKED = "blocked", "Blocked"

    launch_plan = models.ForeignKey(LaunchPlan, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    function = models.CharField(max_length=12, choices=Function.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="launch_tasks"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.TODO)
    blocked_reason = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["launch_plan_id", "position", "id"]
        indexes = [
            models.Index(fields=["launch_plan", "status"], name="launch_task_plan_status"),
            models.Index(fields=["due_date"], name="launch_task_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["todo", "doing", "done", "blocked"]), name="launch_task_status_known"
            ),
            models.CheckConstraint(
                condition=Q(function__in=[f.value for f in Function]), name="launch_task_function_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="blocked") | ~Q(blocked_reason=""),
                name="launch_task_blocked_has_reason",
                violation_error_message="Say what blocks it, so someone can unblock it.",
            ),
        ]

    def __str__(self):
        return self.title


class Messaging(models.Model):
    """One version of a product's (or a launch's) messaging and positioning. Versions of one line share
    `origin` (the first version's id); an approved version is frozen, a revision is the next version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="messaging")
    launch_plan = models.ForeignKey(
        LaunchPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="messaging"
    )
    origin = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="versions", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    positioning = models.TextField(blank=True)
    value_proposition = models.TextField(blank=True)
    target_segments = models.ManyToManyField(Segment, blank=True, related_name="messaging")
    target_personas = models.ManyToManyField(Persona, blank=True, related_name="messaging")
    key_messages = models.JSONField(default=list, blank=True)  # [{"message", "proof_points": [str]}]
    objections = models.JSONField(default=list, blank=True)  # [{"objection", "response"}]
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "origin_id", "-version", "-id"]
        verbose_name = "messaging"
        verbose_name_plural = "messaging"
        constraints = [
            models.UniqueConstraint(fields=["origin", "version"], name="messaging_version_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "in_review", "approved"]), name="messaging_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False), name="messaging_approved_has_date"
            ),
        ]

    def __str__(self):
        scope = self.launch_plan.name if self.launch_plan_id else self.product.name
        return f"Messaging of {scope}, v{self.version}"


class Campaign(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        PAID_SEARCH = "paid_search", "Paid search"
        PAID_SOCIAL = "paid_social", "Paid social"
        SOCIAL = "social", "Organic social"
        CONTENT = "content", "Content"
        EVENTS = "events", "Events"
        PR = "pr", "PR"
        PARTNER = "partner", "Partner"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="campaigns")
    launch_plan = models.ForeignKey(
        LaunchPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.OTHER)
    segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    budget = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_date", "name", "id"]
        indexes = [models.Index(fields=["product", "start_date"], name="campaign_product_start")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="campaign_dates_ordered"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
            models.CheckConstraint(condition=Q(spend__gte=0), name="campaign_spend_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "active", "done", "cancelled"]), name="campaign_status_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    channel__in=[
                        "email",
                        "paid_search",
                        "paid_social",
                        "social",
                        "content",
                        "events",
                        "pr",
                        "partner",
                        "other",
                    ]
                ),
                name="campaign_channel_known",
            ),
        ]

    def __str__(self):
        return self.name


def asset_upload_to(asset, filename: str) -> str:
    return f"assets/{asset.product_id}/{filename}"


class Asset(models.Model):
    """A sales enablement asset: a link or an uploaded file."""

    class Kind(models.TextChoices):
        DEMO_SCRIPT = "demo_script", "Demo script"
        BATTLE_CARD = "battle_card", "Battle card"
        PITCH_DECK = "pitch_deck", "Pitch deck"
        FAQ = "faq", "FAQ"
        DATASHEET = "datasheet", "Datasheet"
        TRAINING = "training", "Training"
        OTHER = "other", "Other"

    class Audience(models.TextChoices):
        SALES = "sales", "Sales"
        SUPPORT = "support", "Support"
        PARTNERS = "partners", "Partners"
        CUSTOMERS = "customers", "Customers"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="assets")
    launch_plan = models.ForeignKey(LaunchPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="assets")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    url = models.URLField(max_length=2000, blank=True)
    file = models.FileField(upload_to=asset_upload_to, max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    version = models.CharField(max_length=50, default="1")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.SALES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "kind", "title", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(url="") | ~Q(file=""), name="asset_link_or_file"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["demo_script", "battle_card", "pitch_deck", "faq", "datasheet", "training", "other"]
                ),
                name="asset_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=["sales", "support", "partners", "customers"]), name="asset_audience_known"
            ),
        ]

    def __str__(self):
        return self.title


class MarketingEvent(models.Model):
    """A trade show, exhibition, conference, webinar or meetup (the API's `/events/`)."""

    class Kind(models.TextChoices):
        TRADE_SHOW = "trade_show", "Trade show"
        EXHIBITION = "exhibition", "Exhibition"
        CONFERENCE = "conference", "Conference"
        WEBINAR = "webinar", "Webinar"
        MEETUP = "meetup", "Meetup"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="marketing_events")
    products = models.ManyToManyField(Product, blank=True, related_name="marketing_events")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TRADE_SHOW)
    start_date = models.DateField()
    end_date = models.DateField()
    location = models.CharField(max_length=200, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    leads = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_date", "name", "id"]
        verbose_name = "event"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="event_dates_ordered"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="event_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["trade_show", "exhibition", "conference", "webinar", "meetup"]),
                name="event_kind_known",
            ),
        ]

    def __str__(self):
        return self.name


class PressItem(models.Model):
    class Kind(models.TextChoices):
        PRESS_RELEASE = "press_release", "Press release"
        BRIEFING = "briefing", "Briefing"
        BLOG_POST = "blog_post", "Blog post"
        SOCIAL_POST = "social_post", "Social post"
        NEWSLETTER = "newsletter", "Newsletter"
        INTERVIEW = "interview", "Interview"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="press_items")
    launch_plan = models.ForeignKey(
        LaunchPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="press_items"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.PRESS_RELEASE)
    channel = models.CharField(max_length=200, blank=True, help_text="Where it appears: a wire, a blog, a journal.")
    publish_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="press_items"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [F("publish_date").asc(nulls_last=True), "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["press_release", "briefing", "blog_post", "social_post", "newsletter", "interview"]
                ),
                name="press_item_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "scheduled", "published"]), name="press_item_status_known"
            ),
        ]

    def __str__(self):
        return self.title


class CalendarFeed(models.Model):
    """A member's secret iCalendar subscription to a portfolio's launch calendar. Only the token's
    SHA-256 is kept: the address is shown once, when it is made (a reset makes a new one)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "portfolio"], name="calendar_feed_one_per_member")]

    def __str__(self):
        return f"Calendar feed of {self.user} for {self.portfolio}"
