"""KPIs, their measurements and the rollups derived from them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from gtm.models import Campaign, LaunchPlan
from products.models import CompetitorMove, KeyResult, Portfolio, Product


class Direction(models.TextChoices):
    HIGHER = "higher_is_better", "Higher is better"
    LOWER = "lower_is_better", "Lower is better"


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    AVG = "avg", "Average"
    LAST = "last", "Last value"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"


class Granularity(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class Health(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    NO_TARGET = "no_target", "No target"
    NO_DATA = "no_data", "Not judged yet"
    # Rollup rows only (API, CSV, charts), never a KPI's stored health: periods not judged yet.
    IN_PROGRESS = "in_progress", "In progress"  # the period holding today: its value is "so far"
    PARTIAL = "partial", "Partial period"  # a first period whose measurements start after it began


# A KPI stores the health of its latest *complete* period, so never one of the unjudged values (and
# "in_progress" would not fit the column's 10 characters).
STORED_HEALTH = [(value, label) for value, label in Health.choices if value not in {"in_progress", "partial"}]


class KPI(models.Model):
    """A metric of a product. `target` is per `target_granularity` period.

    For `sum` KPIs the target scales with the length of the period it is compared with (a monthly
    revenue target of 30,000 is about 7,000 a week); for the others it applies to every period as is.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="kpis")
    key = models.SlugField(max_length=64, help_text="Shared across products, e.g. revenue, weekly_active_users.")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=20, choices=Direction.choices, default=Direction.HIGHER)
    aggregation = models.CharField(max_length=8, choices=Aggregation.choices, default=Aggregation.SUM)
    target = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    target_granularity = models.CharField(max_length=8, choices=Granularity.choices, default=Granularity.MONTH)
    tolerance_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=10,
        help_text="How far from target still counts as at risk (%).",
    )
    headline = models.BooleanField(default=False, help_text="Shown on the product's dashboard card.")
    # Narrowed to one launch or campaign of the same product (marketers write these KPIs and their data).
    launch_plan = models.ForeignKey(LaunchPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="kpis")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="kpis")
    # The key result this KPI measures (its current value, progress and health come from this KPI's
    # rollups); a key result has at most one KPI, read as `key_result.kpi`.
    key_result = models.OneToOneField(KeyResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="kpi")
    # Health of the latest complete period at target granularity; refreshed after rollups change.
    health = models.CharField(max_length=10, choices=STORED_HEALTH, default=Health.NO_DATA, editable=False)
    latest_value = models.DecimalField(max_digits=28, decimal_places=6, null=True, editable=False)
    latest_period_start = models.DateField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "KPI"
        ordering = ["product_id", "-headline", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="kpi_key_unique_per_product"),
            models.UniqueConstraint(fields=["product"], condition=Q(headline=True), name="kpi_one_headline"),
            models.CheckConstraint(condition=Q(tolerance_pct__gte=0), name="kpi_tolerance_not_negative"),
        ]
        indexes = [models.Index(fields=["key"])]

    def __str__(self):
        return f"{self.name} ({self.product})"

    @property
    def portfolio_id(self) -> int:
        return self.product.portfolio_id


class Measurement(models.Model):
    # db_index=False: the (kpi, observed_at) index already serves every lookup by KPI.
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="measurements", db_index=False)
    observed_at = models.DateTimeField()
    value = models.DecimalField(max_digits=20, decimal_places=6)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            # NULLs are distinct, so measurements without an external id never collide.
            models.UniqueConstraint(fields=["kpi", "external_id"], name="measurement_external_id_unique"),
        ]
        indexes = [models.Index(fields=["kpi", "observed_at"], name="measurement_kpi_observed")]

    def __str__(self):
        return f"{self.kpi_id} @ {self.observed_at:%Y-%m-%d %H:%M}: {self.value}"


class Rollup(models.Model):
    """Derived data: a KPI's measurements combined over one period, rebuilt by `kpis.rollups`.

    Day rows come from measurements; coarser rows from day rows. `value` is what the KPI's aggregation
    makes of the period; `total`, `minimum`, `maximum` and `last_value` let coarser periods and other
    products combine without going back to the measurements.
    """

    # db_index=False: the unique (kpi, granularity, period_start) index already covers it.
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="rollups", db_index=False)
    granularity = models.CharField(max_length=8, choices=Granularity.choices)
    period_start = models.DateField()
    value = models.DecimalField(max_digits=28, decimal_places=6)
    count = models.IntegerField()
    total = models.DecimalField(max_digits=28, decimal_places=6)
    minimum = models.DecimalField(max_digits=20, decimal_places=6)
    maximum = models.DecimalField(max_digits=20, decimal_places=6)
    last_value = models.DecimalField(max_digits=20, decimal_places=6, null=True)  # only for "last" KPIs
    last_observed_at = models.DateTimeField()

    class Meta:
        ordering = ["kpi_id", "granularity", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "granularity", "period_start"], name="rollup_one_per_period"),
        ]

    def __str__(self):
        return f"{self.kpi_id} {self.granularity} {self.period_start}: {self.value}"


class PendingRollup(models.Model):
    """Local days of a KPI whose rollups must be recomputed: the rollup worker's outbox.

    Written in the transaction that changes the KPI's measurements and deleted by the recompute that
    covers it, in the recompute's transaction. So the work survives a broker that is down when the
    request commits and a worker killed half way: `kpis.tasks.rollups_sweep` hands rows that waited
    too long to the worker again. Several rows of one KPI are merged into one recompute.
    """

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="+")
    first_day = models.DateField()
    last_day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the sweep last handed this row's KPI to the worker; it waits again before the next time.
    swept_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"KPI {self.kpi_id}: {self.first_day}…{self.last_day}"


class KeyRollup(models.Model):
    """Derived data: one KPI key combined across the products of a portfolio (`product_line` null) or
    of one product line, per period. Kept by the rollup worker in the transaction that changes the
    KPIs' own rollups (kpis.rollups.recompute_keys), so reading a key across products is a read.

    `aggregation` is part of the key: KPIs sharing a key should aggregate alike, and when they do not
    the read refuses to combine them rather than mix sums with averages.
    """

    portfolio = models.ForeignKey("products.Portfolio", on_delete=models.CASCADE, related_name="+", db_index=False)
    product_line = models.ForeignKey(
        "products.ProductLine", on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    key = models.SlugField(max_length=64, db_index=False)
    aggregation = models.CharField(max_length=8, choices=Aggregation.choices)
    granularity = models.CharField(max_length=8, choices=Granularity.choices)
    period_start = models.DateField()
    value = models.DecimalField(max_digits=28, decimal_places=6)
    count = models.BigIntegerField()
    total = models.DecimalField(max_digits=28, decimal_places=6)
    minimum = models.DecimalField(max_digits=20, decimal_places=6)
    maximum = models.DecimalField(max_digits=20, decimal_places=6)
    kpis = models.IntegerField(help_text="How many KPIs had data in the period.")

    class Meta:
        ordering = ["portfolio_id", "key", "granularity", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "key", "aggregation", "granularity", "period_start"],
                condition=Q(product_line__isnull=True),
                name="keyrollup_one_per_portfolio_period",
            ),
            models.UniqueConstraint(
                fields=["product_line", "key", "aggregation", "granularity", "period_start"],
                condition=Q(product_line__isnull=False),
                name="keyrollup_one_per_line_period",
            ),
        ]
        # The worker replaces a key's rows period by period, lines and portfolio together.
        indexes = [models.Index(fields=["portfolio", "key", "granularity", "period_start"], name="keyrollup_scope")]

    def __str__(self):
        scope = f"line {self.product_line_id}" if self.product_line_id else f"portfolio {self.portfolio_id}"
        return f"{self.key} {scope} {self.granularity} {self.period_start}: {self.value}"


class Import(models.Model):
    """A CSV file of measurements on its way in: for a whole portfolio (columns product, key,
    observed_at, value, external_id) or for one KPI (observed_at, value, external_id).

    Processed by `kpis.tasks.import_process` on the rollups queue: every row is checked before any
    is written; a file with a bad row imports nothing and lists its errors. `written_at` is set in the
    transaction that writes the measurements, so a task that runs again never writes them twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        VALIDATING = "validating", "Checking rows"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    portfolio = models.ForeignKey("products.Portfolio", on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    source = models.CharField(max_length=8, default="api")  # api | page
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.IntegerField(default=0)
    processed = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    errors_truncated = models.BooleanField(default=False)
    attempts = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["portfolio", "-created_at"], name="import_portfolio_recent")]

    def __str__(self):
        return f"Import {self.id} ({self.filename or 'upload'}): {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class ImportFile(models.Model):
    """The bytes of an import's file, kept in the database (so any worker on any host can read it)
    until the import ends."""

    upload = models.OneToOneField(Import, on_delete=models.CASCADE, primary_key=True, related_name="file")
    content = models.BinaryField()

    def __str__(self):
        return f"File of import {self.upload_id}"


class LaunchReview(models.Model):
    """The post-launch review of a launched plan: the product's KPIs over `window_days` before the
    launch date against the same window from it, beside the change the release's roadmap items
    expected (kpis.reviews computes the figures; `results` keeps the last computation)."""

    launch_plan = models.OneToOneField(LaunchPlan, on_delete=models.CASCADE, related_name="review")
    window_days = models.PositiveSmallIntegerField(default=30)
    results = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Review of launch plan {self.launch_plan_id}"


class Signal(models.Model):
    """An explained flag where product and marketing meet (kpis.signals): open while its condition
    holds, resolved when it no longer does. One open signal per kind and subject."""

    class Kind(models.TextChoices):
        CAMPAIGN_LOW_CONVERSION = "campaign_low_conversion", "Traffic without conversions"
        LOW_USAGE_DESPITE_SPEND = "low_usage_despite_spend", "Low usage despite promotion"
        OFF_TRACK_AFTER_COMPETITOR_MOVE = "off_track_after_competitor_move", "Off track after a competitor move"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="signals")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject_key = models.CharField(max_length=100, help_text="What it is about, e.g. campaign:12 or kpi:4:move:9.")
    kpi = models.ForeignKey(KPI, on_delete=models.SET_NULL, null=True, blank=True, related_name="signals")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="signals")
    launch_plan = models.ForeignKey(
        LaunchPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="signals"
    )
    competitor_move = models.ForeignKey(
        CompetitorMove, on_delete=models.SET_NULL, null=True, blank=True, related_name="signals"
    )
    message = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["portfolio", "-opened_at"], name="signal_portfolio_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key"], condition=Q(resolved_at__isnull=True), name="signal_one_open"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject_key}"
