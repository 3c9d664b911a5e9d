"""The technical roadmap: items (initiative > feature > requirement), releases, dependencies and the
portfolio's scoring weights. Scores are never stored: `roadmap.scoring` computes them in the query."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from products.models import Document, Feedback, Idea, KeyResult, MarketInsight, Portfolio, Product


class Release(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SHIPPED = "shipped", "Shipped"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED, editable=False)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    ship_reason = models.TextField(blank=True, editable=False, help_text="Why it shipped with open items.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [F("target_date").asc(nulls_last=True), "version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="release_version_unique"),
            models.CheckConstraint(condition=Q(status__in=["planned", "shipped"]), name="release_status_known"),
            models.CheckConstraint(
                condition=Q(status="planned", shipped_at__isnull=True) | Q(status="shipped", shipped_at__isnull=False),
                name="release_shipped_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.version} {self.name}".strip() if self.name else self.version


class RoadmapItem(models.Model):
    class Kind(models.TextChoices):
        INITIATIVE = "initiative", "Initiative"
        FEATURE = "feature", "Feature"
        REQUIREMENT = "requirement", "Requirement"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    class Horizon(models.TextChoices):
        NOW = "now", "Now"
        NEXT = "next", "Next"
        LATER = "later", "Later"

    class MoSCoW(models.TextChoices):
        MUST = "must", "Must have"
        SHOULD = "should", "Should have"
        COULD = "could", "Could have"
        WONT = "wont", "Won't have (this time)"

    IMPACTS = [
        ("0.25", "0.25 — minimal"),
        ("0.5", "0.5 — low"),
        ("1", "1 — medium"),
        ("2", "2 — high"),
        ("3", "3 — massive"),
    ]

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="roadmap_items")
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="An item of a higher kind of the same product (an initiative for a feature).",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FEATURE)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    horizon = models.CharField(max_length=5, choices=Horizon.choices, default=Horizon.LATER)
    rank = models.PositiveIntegerField(default=0, editable=False, help_text="0-based place in its horizon's column.")
    release = models.ForeignKey(Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="roadmap_items"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # RICE
    reach = models.PositiveIntegerField(null=True, blank=True, help_text="People or events per quarter.")
    impact = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, choices=IMPACTS)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Percent, 0–100.")
    effort = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True, help_text="Person-months.")
    # WSJF: cost of delay over job size
    business_value = models.PositiveSmallIntegerField(null=True, blank=True)
    time_criticality = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_reduction = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="risk reduction / opportunity"
    )
    job_size = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # Value vs effort
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    moscow = models.CharField(max_length=6, choices=MoSCoW.choices, null=True, blank=True, verbose_name="MoSCoW")
    regulatory = models.BooleanField(default=False)
    regulation = models.CharField(max_length=200, blank=True)
    key_result = models.ForeignKey(
        KeyResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="roadmap_items"
    )
    ideas = models.ManyToManyField(Idea, blank=True, related_name="roadmap_items")
    feedback = models.ManyToManyField(Feedback, blank=True, related_name="roadmap_items")
    insights = models.ManyToManyField(MarketInsight, blank=True, related_name="roadmap_items")
    documents = models.ManyToManyField(Document, blank=True, related_name="roadmap_items")
    # What the item is expected to do to a KPI of its product once its release launches: the post-launch
    # review (kpis.reviews) compares it with what happened.
    expected_kpi_key = models.SlugField(
        max_length=64, blank=True, verbose_name="expected KPI", help_text="The key of the KPI this item should move."
    )
    expected_change_pct = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name="expected change (%)",
        help_text="The change in that KPI expected after launch, in percent (negative: a fall).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "horizon", "rank", "id"]
        indexes = [models.Index(fields=["product", "horizon", "rank"], name="roadmap_item_column")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["initiative", "feature", "requirement"]), name="roadmap_item_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "planned", "in_progress", "done", "dropped"]),
                name="roadmap_item_status_known",
            ),
            models.CheckConstraint(
                condition=Q(horizon__in=["now", "next", "later"]), name="roadmap_item_horizon_known"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="roadmap_item_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=100), name="roadmap_item_confidence_pct"
            ),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__gt=0), name="roadmap_item_effort_positive"
            ),
            models.CheckConstraint(
                condition=Q(job_size__isnull=True) | Q(job_size__gt=0), name="roadmap_item_job_size_positive"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="roadmap_item_not_own_parent"),
        ]

    def __str__(self):
        return self.title

    @property
    def ends_after_release(self) -> bool:
        """It is planned to end after its (planned) release is due: one of them needs to move."""
        release = self.release
        return bool(
            release is not None
            and release.status == Release.Status.PLANNED
            and release.target_date
            and self.end_date
            and self.end_date > release.target_date
        )

    KIND_ORDER = {"initiative": 0, "feature": 1, "requirement": 2}


class RoadmapDependency(models.Model):
    """`item` depends on `depends_on`: with `blocks`, it cannot finish before that one."""

    class Kind(models.TextChoices):
        BLOCKS = "blocks", "Blocked by"
        RELATES = "relates", "Relates to"

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="dependencies")
    depends_on = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="dependents")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BLOCKS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "id"]
        verbose_name_plural = "roadmap dependencies"
        constraints = [
            models.UniqueConstraint(fields=["item", "depends_on"], name="roadmap_dependency_unique"),
            models.CheckConstraint(condition=~Q(item=F("depends_on")), name="roadmap_dependency_not_self"),
            models.CheckConstraint(condition=Q(kind__in=["blocks", "relates"]), name="roadmap_dependency_kind_known"),
        ]

    def __str__(self):
        return f"{self.item} {self.get_kind_display().lower()} {self.depends_on}"


WEIGHT_INPUTS = (
    "value",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "reach",
    "impact",
    "confidence",
    "effort",
    "job_size",
)


class ScoringWeights(models.Model):
    """The portfolio's weighted score: Σ weight × input ÷ Σ |weight| over the inputs with a weight.

    A negative weight counts against an item (effort, job size). Admins edit it; a portfolio without
    a row scores with the defaults of the fields.
    """

    portfolio = models.OneToOneField(Portfolio, on_delete=models.CASCADE, related_name="scoring_weights")
    value = models.DecimalField(max_digits=6, decimal_places=2, default=3)
    business_value = models.DecimalField(max_digits=6, decimal_places=2, default=2)
    time_criticality = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    risk_reduction = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    reach = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    impact = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    confidence = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    effort = models.DecimalField(max_digits=6, decimal_places=2, default=-2)
    job_size = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "scoring weights"

    def __str__(self):
        return f"Scoring weights of {self.portfolio}"

    @classmethod
    def defaults(cls) -> dict:
        return {name: cls._meta.get_field(name).default for name in WEIGHT_INPUTS}
