"""Portfolios, membership, product lines, products, the stage ledger, lifecycle rules and the
domain events every service writes."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (use an IANA name such as Europe/Berlin).")


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    MARKETER = "marketer", "Marketer"
    VIEWER = "viewer", "Viewer"


class Stage(models.TextChoices):
    IDEATION = "ideation", "Ideation"
    RESEARCH = "research", "Research"
    PLANNING = "planning", "Planning"
    DEVELOPMENT = "development", "Development"
    LAUNCH = "launch", "Launch"
    GROWTH = "growth", "Growth"
    MATURITY = "maturity", "Maturity"
    DECLINE = "decline", "Decline"
    RETIRED = "retired", "Retired"

    @classmethod
    def order(cls, stage: str) -> int:
        return cls.values.index(stage)


class Portfolio(models.Model):
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["portfolio_id", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "user"], name="membership_one_per_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_known"),
        ]

    def __str__(self):
        return f"{self.user} in {self.portfolio} as {self.role}"


class ProductLine(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="product_lines")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["portfolio", "name"], name="product_line_name_unique")]

    def __str__(self):
        return self.name


LEDGER_FIELDS = ("stage", "stage_changed_at")


class Product(models.Model):
    """A product; `stage` changes only through `products.services.product_transition`."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="products")
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    vision = models.TextField(blank=True, help_text="Where the product is heading: for whom, what need, why us.")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEATION, editable=False)
    stage_changed_at = models.DateTimeField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="product_name_unique"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="product_stage_known"),
        ]
        indexes = [models.Index(fields=["portfolio", "stage"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A stale copy must never write its old stage back over a move made meanwhile: only the
        # transition service names the stage fields in update_fields.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in LEDGER_FIELDS
            ]
        super().save(*args, **kwargs)

    def clean(self):
        if self.product_line_id and self.product_line.portfolio_id != self.portfolio_id:
            raise ValidationError({"product_line": "The product line belongs to another portfolio."})


class StageTransition(models.Model):
    """The stage ledger: one row for every move, by a person (actor) or the system (actor null)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        "LifecycleRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="transitions"
    )
    reason = models.TextField()
    override = models.BooleanField(default=False, help_text="Moved although the stage gate was not met.")
    unmet_criteria = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["product", "-at"])]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="transition_reason_required")]

    def __str__(self):
        return f"{self.product}: {self.from_stage or '—'} → {self.to_stage}"

    @property
    def actor_label(self) -> str:
        # A rule's name is already the move's reason; "system" says who without repeating it.
        return "system" if self.actor_id is None else self.actor.get_username()


class LifecycleRule(models.Model):
    """When `condition_type` holds for a product in `from_stage`, move it to `to_stage`."""

    class Mode(models.TextChoices):
        AUTO = "auto", "Move automatically"
        SUGGEST = "suggest", "Suggest a move"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="lifecycle_rules")
    name = models.CharField(max_length=200)
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    condition_type = models.CharField(max_length=50)
    params = models.JSONField(default=dict)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.AUTO)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["portfolio_id", "from_stage", "name"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="lifecycle_rule_name_unique"),
            models.CheckConstraint(condition=~Q(from_stage=models.F("to_stage")), name="rule_moves_somewhere"),
        ]

    def __str__(self):
        return self.name


class DomainEvent(models.Model):
    """One change to business data, written by the service that made it, in its transaction.

    The single source for object history on pages, and later for notifications, webhooks and the audit
    API. `changes` is `{field: [old, new]}`; `actor` null means the system. Handlers run after commit
    (`products.events`); `dispatched_at` stays null until they have, so a sweep finds what a crash left.
    """

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="event_object_history"),
            models.Index(fields=["portfolio", "-at"], name="event_portfolio_recent"),
            models.Index(fields=["at"], condition=Q(dispatched_at__isnull=True), name="event_undispatched"),
        ]

    def __str__(self):
        return f"{self.verb} {self.object_type} {self.object_id}"

    @property
    def actor_label(self) -> str:
        return "system" if self.actor_id is None else self.actor.get_username()

    @property
    def action_label(self) -> str:
        """“product.stage_changed” → “Stage changed”: readable without a table of verbs."""
        return self.verb.rsplit(".", 1)[-1].replace("_", " ").capitalize()


class StageSuggestion(models.Model):
    """A move a `suggest` rule proposes: a product manager or admin accepts it (a transition that names
    it) or dismisses it with a reason; it expires when the product leaves `from_stage` first.

    One per rule, product, stay in the stage and evidence (`evidence_key`, a digest of what fired it):
    two workers evaluating at once write one row, and a dismissed one does not come back for the same
    evidence. At most one pending per rule and product.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"
        EXPIRED = "expired", "Expired"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stage_suggestions")
    rule = models.ForeignKey(
        LifecycleRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    reason = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    evidence_key = models.CharField(max_length=64, help_text="A digest of the evidence: same evidence, same key.")
    stay_started_at = models.DateTimeField(help_text="The product's stage_changed_at when it was suggested.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    transition = models.ForeignKey(
        StageTransition, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "status"], name="suggestion_product_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "rule", "stay_started_at", "evidence_key"], name="suggestion_once_per_evidence"
            ),
            models.UniqueConstraint(
                fields=["product", "rule"], condition=Q(status="pending"), name="suggestion_one_pending_per_rule"
            ),
        ]

    def __str__(self):
        return f"{self.product}: {self.from_stage} → {self.to_stage} ({self.status})"


class StageGate(models.Model):
    """The exit criteria of one stage in a portfolio: `criteria` = [{"type", "params"}] (the types in
    products.gates). A person's move out of `stage` that misses one is refused unless overridden."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="stage_gates")
    stage = models.CharField(max_length=20, choices=Stage.choices, help_text="The stage being left.")
    criteria = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["portfolio_id", "id"]
        constraints = [models.UniqueConstraint(fields=["portfolio", "stage"], name="stage_gate_once_per_stage")]

    def __str__(self):
        return f"{self.portfolio_id}: leaving {self.stage}"


class Notification(models.Model):
    """One thing a person should know, in the app (the bell) and, by their settings, by e-mail at once
    or in the daily digest. Written by handlers of domain events; `dedupe_key` makes a handler that runs
    twice write one row."""

    class Kind(models.TextChoices):
        STAGE_CHANGED = "stage_changed", "Stage changes"
        SUGGESTION = "suggestion", "Stage suggestions"
        TASK_DUE = "task_due", "Launch tasks due"
        TASK_OVERDUE = "task_overdue", "Launch tasks overdue"
        KPI_OFF_TRACK = "kpi_off_track", "KPIs off track"
        MENTION = "mention", "Mentions"
        SIGNAL = "signal", "Marketing and product signals"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhooks disabled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    event = models.ForeignKey(DomainEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True, help_text="Shown under the bell (off: e-mail or digest only).")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_user_unread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_once"
            )
        ]

    def __str__(self):
        return f"{self.user_id}: {self.title}"


class NotificationSetting(models.Model):
    """How one person hears of one kind of news in one portfolio. No row: the kind's defaults
    (products.services.notifications.DEFAULTS)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    digest = models.BooleanField(default=True)

    class Meta:
        ordering = ["portfolio_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "portfolio", "kind"], name="notification_setting_once")]

    def __str__(self):
        return f"{self.user_id} {self.portfolio_id} {self.kind}"


class Webhook(models.Model):
    """An admin's subscription: the contract's events of one portfolio POSTed, signed, to `url`."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["portfolio_id", "id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one hook: every attempt counted, the last answer kept."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    domain_event = models.ForeignKey(DomainEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"),
            models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "domain_event"],
                condition=Q(domain_event__isnull=False),
                name="delivery_once_per_event",
            )
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} ({self.status})"


# --- strategy: what roadmap items serve and come from ----------------------------------------------------
# The records the technical roadmap links to (API-CONTRACT "Strategic"). Their pages, API and rules
# (idea decisions, demand, key-result progress from KPIs) arrive with the strategic work; the fields
# here are the contract's, so nothing has to change shape then.


class Goal(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="goal_period_ordered")
        ]

    def __str__(self):
        return self.title


class KeyResult(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    start_value = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    target_value = models.DecimalField(max_digits=20, decimal_places=6)
    manual_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["goal_id", "title", "id"]

    def __str__(self):
        return self.title


class Idea(models.Model):
    class Status(models.TextChoices):
        CONCEPT = "concept", "Concept"
        EVALUATED = "evaluated", "Evaluated"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="ideas")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONCEPT)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    insights = models.ManyToManyField("MarketInsight", blank=True, related_name="ideas")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["concept", "evaluated", "accepted", "rejected"]), name="idea_status_known"
            )
        ]

    def __str__(self):
        return self.title


class Segment(models.Model):
    """A market segment: who a product serves and how attractive they are (size, growth, priority)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Potential customers or accounts.")
    growth_pct = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=3, help_text="1 (low) to 5 (high).")
    products = models.ManyToManyField(Product, blank=True, related_name="segments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-priority", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="segment_name_unique"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="segment_priority_1_5"),
        ]

    def __str__(self):
        return self.name


class Persona(models.Model):
    """A typical buyer or user, with a customer journey: [{"stage", "touchpoints", "pains", "opportunities"}]."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(max_length=200)
    segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="personas")
    goals = models.TextField(blank=True)
    pains = models.TextField(blank=True)
    journey = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Feedback(models.Model):
    class Source(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        SURVEY = "survey", "Survey"
        SUPPORT = "support", "Support"
        SALES = "sales", "Sales"
        BETA = "beta", "Beta"
        REVIEW = "review", "Review"
        OTHER = "other", "Other"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="feedback")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.OTHER)
    customer = models.CharField(max_length=200, blank=True)
    segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback")
    text = models.TextField()
    importance = models.PositiveSmallIntegerField(default=3)
    deal_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    received_on = models.DateField()
    ideas = models.ManyToManyField(Idea, blank=True, related_name="feedback")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(condition=Q(importance__gte=1, importance__lte=5), name="feedback_importance_1_5")
        ]

    def __str__(self):
        return (self.customer + ": " if self.customer else "") + self.text[:60]


class Impact(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class MarketInsight(models.Model):
    """Something seen in the market that may matter to products: competition, a trend, what customers
    expect, a regulation."""

    class Kind(models.TextChoices):
        COMPETITION = "competition", "Competition"
        TREND = "trend", "Trend"
        CUSTOMER_EXPECTATION = "customer_expectation", "Customer expectation"
        REGULATION = "regulation", "Regulation"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="market_insights")
    products = models.ManyToManyField(Product, blank=True, related_name="market_insights")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where it comes from: a report, a link, a call.")
    observed_on = models.DateField()
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MEDIUM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        indexes = [models.Index(fields=["portfolio", "-observed_on"], name="insight_portfolio_observed")]

    def __str__(self):
        return self.title


class Competitor(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="competitors")
    name = models.CharField(max_length=200)
    website = models.URLField(max_length=500, blank=True)
    segments = models.ManyToManyField(Segment, blank=True, related_name="competitors")
    strengths = models.TextField(blank=True)
    weaknesses = models.TextField(blank=True)
    pricing = models.TextField(blank=True)
    threat = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MEDIUM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["portfolio", "name"], name="competitor_name_unique")]

    def __str__(self):
        return self.name


class CompetitorMove(models.Model):
    """What a competitor did, and our planned response (a move without one stands out)."""

    class Kind(models.TextChoices):
        LAUNCH = "launch", "Launch"
        PRICE_CHANGE = "price_change", "Price change"
        CAMPAIGN = "campaign", "Campaign"
        PARTNERSHIP = "partnership", "Partnership"
        OTHER = "other", "Other"

    class ResponseStatus(models.TextChoices):
        NONE = "none", "No response yet"
        PLANNED = "planned", "Planned"
        DONE = "done", "Done"

    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="moves")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    happened_on = models.DateField()
    description = models.TextField()
    products = models.ManyToManyField(Product, blank=True, related_name="competitor_moves")
    response = models.TextField(blank=True)
    response_status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.NONE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-happened_on", "-id"]

    def __str__(self):
        return f"{self.competitor.name}: {self.get_kind_display()} on {self.happened_on}"


# --- the product manager's desk: the status book, budget plans, portfolio analysis, documents ----------


class StatusBookEntry(models.Model):
    """A line of the product manager's daily log: what was done, for which product, how long, and which
    kind of work it was (the balance page compares the shares with the recommended ranges)."""

    class Category(models.TextChoices):
        DAILY = "daily", "Daily business"
        SHORT_TERM = "short_term", "Short-term"
        LONG_TERM = "long_term", "Long-term"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="status_book")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_book")
    date = models.DateField()
    category = models.CharField(max_length=20, choices=Category.choices)
    minutes = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "status book entries"
        indexes = [models.Index(fields=["author", "date"], name="statusbook_author_date")]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=1440), name="statusbook_minutes_1_1440"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_category_display()}: {self.text[:60]}"


class BudgetPlan(models.Model):
    """A year's marketing budget (by quarter and channel) and sales target (by quarter) of one product or
    one product line. `portfolio` is the owner's, kept for access checks and lists."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="budget_plans", editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True, related_name="budget_plans")
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.CASCADE, null=True, blank=True, related_name="budget_plans"
    )
    year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, product_line__isnull=True)
                | Q(product__isnull=True, product_line__isnull=False),
                name="budgetplan_product_xor_line",
            ),
            models.UniqueConstraint(
                fields=["product", "year"], condition=Q(product__isnull=False), name="budgetplan_product_year"
            ),
            models.UniqueConstraint(
                fields=["product_line", "year"],
                condition=Q(product_line__isnull=False),
                name="budgetplan_line_year",
            ),
            models.CheckConstraint(condition=Q(year__gte=1900, year__lte=2200), name="budgetplan_year_range"),
        ]

    def __str__(self):
        owner = self.product or self.product_line
        return f"{owner} {self.year}"


class BudgetLine(models.Model):
    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="budget_lines")
    quarter = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=50)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["quarter", "channel", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="budgetline_quarter_1_4"),
            models.UniqueConstraint(fields=["plan", "quarter", "channel"], name="budgetline_unique"),
        ]

    def __str__(self):
        return f"Q{self.quarter} {self.channel}: {self.amount}"


class SalesTarget(models.Model):
    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="sales_targets")
    quarter = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["quarter", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="salestarget_quarter_1_4"),
            models.UniqueConstraint(fields=["plan", "quarter"], name="salestarget_unique"),
        ]

    def __str__(self):
        return f"Q{self.quarter}: {self.amount}"


class AnalysisSettings(models.Model):
    """A portfolio's thresholds for the portfolio analysis's extend and retire flags (admins edit them)."""

    portfolio = models.OneToOneField(Portfolio, on_delete=models.CASCADE, related_name="analysis_settings")
    retire_falling_quarters = models.PositiveSmallIntegerField(
        default=2, help_text="Flag a product in decline whose revenue fell this many quarters in a row."
    )
    extend_segment_min_growth_pct = models.DecimalField(
        max_digits=6, decimal_places=2, default=10, help_text="A segment growing at least this fast …"
    )
    extend_segment_min_priority = models.PositiveSmallIntegerField(
        default=4, help_text="… and of at least this priority (1–5), that no product serves."
    )
    extend_demand_min_growth_pct = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=20,
        help_text="A product in growth whose feedback of the last 90 days grew at least this much on the 90 before.",
    )

    class Meta:
        verbose_name_plural = "analysis settings"

    def __str__(self):
        return f"Analysis thresholds of {self.portfolio}"


class Document(models.Model):
    """Research and planning: interviews, research notes, concept designs, PRD and MRD, beta-test reports,
    written in Markdown. `version` grows by one with each change of title or body; each version is kept."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        RESEARCH = "research", "Research notes"
        CONCEPT = "concept", "Concept design"
        PRD = "prd", "PRD"
        MRD = "mrd", "MRD"
        BETA_TEST = "beta_test", "Beta-test report"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        ARCHIVED = "archived", "Archived"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ideas = models.ManyToManyField(Idea, blank=True, related_name="documents")
    feedback = models.ManyToManyField(Feedback, blank=True, related_name="documents")

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["document_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="documentversion_unique")]

    def __str__(self):
        return f"{self.title} v{self.version}"


class DocumentComment(models.Model):
    """A review comment on a document, on the version it was written against."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="comments")
    version = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.body[:60]
