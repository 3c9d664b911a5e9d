from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from gtm.models import Campaign, LaunchPlan
from kpis.models import KPI, Granularity, Health, Import, Measurement
from kpis.services.definitions import narrowing_problems
from pmflow.access import queryset_for_user
from pmflow.fields import MAX_ID, BoundedDecimalField, StrictStrings
from products.api.serializers import ScopedPrimaryKeyField
from products.selectors import product_list_for_user


# Plain querysets: a reference needs the row, not the plan's readiness counts.
def _launch_plans_of(user):
    return queryset_for_user(user, LaunchPlan.objects.all())


def _campaigns_of(user):
    return queryset_for_user(user, Campaign.objects.all())


class KPISerializer(StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    launch_plan = ScopedPrimaryKeyField(
        _launch_plans_of,
        allow_null=True,
        required=False,
        help_text="A launch plan of the same product: the KPI measures that launch (marketers write it).",
    )
    campaign = ScopedPrimaryKeyField(
        _campaigns_of,
        allow_null=True,
        required=False,
        help_text="A campaign of the same product (and of `launch_plan`, when one is given).",
    )
    health = serializers.ChoiceField(choices=Health.choices, read_only=True)
    # Rounded to the column's places, then refused if it no longer fits (pmflow.fields).
    target = BoundedDecimalField(20, 6, round_places=True, allow_null=True, required=False)
    tolerance_pct = BoundedDecimalField(5, 2, round_places=True, min_value=0, required=False)

    class Meta:
        model = KPI
        fields = [
            "id",
            "product",
            "key",
            "name",
            "unit",
            "direction",
            "aggregation",
            "target",
            "target_granularity",
            "tolerance_pct",
            "headline",
            "launch_plan",
            "campaign",
            "health",
            "latest_value",
            "latest_period_start",
            "created_at",
        ]
        read_only_fields = ["latest_value", "latest_period_start", "created_at"]
        # The (product, key) uniqueness is checked by the service, with a field-level message.
        validators = []

    def validate(self, attrs):
        if self.instance and "product" in attrs and attrs["product"].id != self.instance.product_id:
            raise serializers.ValidationError({"product": "A KPI cannot move to another product."})

        # The service's rule, asked before the write so that a PATCH's merged values are judged.
        def after(name):  # the value the KPI will have: the body's, else the stored one (None on create)
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        problems = narrowing_problems(
            product_id=after("product").id, launch_plan=after("launch_plan"), campaign=after("campaign")
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class MeasurementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measurement
        fields = ["id", "observed_at", "value", "external_id", "recorded_at"]


@extend_schema_serializer(component_name="Measurement")  # the request body: MeasurementRequest
class MeasurementInput(serializers.Serializer):
    """One measurement; POST a list of up to 10,000 of these to import in bulk."""

    observed_at = serializers.CharField(
        help_text="ISO date (that day in the portfolio's time zone) or datetime with offset."
    )
    value = BoundedDecimalField(20, 6, round_places=True)
    external_id = serializers.CharField(required=False, allow_null=True, max_length=200)


class MeasurementBatch(serializers.Serializer):
    """The measurements POST body, for the schema only: one measurement or a list of 1 to 10,000."""


class MeasurementBatchSchema(OpenApiSerializerExtension):
    target_class = MeasurementBatch
    item_class = MeasurementInput

    def map_serializer(self, auto_schema, direction):
        component = auto_schema.resolve_serializer(self.item_class, direction)
        if component.schema is not None:
            # As the service checks an item (clean_measurement_items): an unknown field is refused, and
            # `observed_at` is an ISO date or a datetime with an offset in the years 1900 to 2200.
            component.schema["additionalProperties"] = False
            observed_at = component.schema["properties"]["observed_at"]
            observed_at.pop("minLength", None)
            year = {"pattern": "^(19[0-9]{2}|2[01][0-9]{2}|2200)-"}
            observed_at["anyOf"] = [{"format": "date", **year}, {"format": "date-time", **year}]
        one = component.ref
        return {"oneOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": 10_000}]}


@extend_schema_serializer(component_name="MeasurementAcross")
class MeasurementAcrossInput(MeasurementInput):
    """One measurement of a batch across KPIs: its KPI by `kpi` id, or by `product` id and `key`."""

    kpi = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    key = serializers.SlugField(required=False, max_length=64)


class MeasurementBatchAcross(serializers.Serializer):
    """The POST /measurements/ body, for the schema only: a list of 1 to 10,000 items (or one item)."""


class MeasurementBatchAcrossSchema(MeasurementBatchSchema):
    target_class = MeasurementBatchAcross
    item_class = MeasurementAcrossInput


class IngestResult(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class RollupQuery(serializers.Serializer):
    granularity = serializers.ChoiceField(choices=Granularity.choices, default=Granularity.DAY)
    # "from" is a Python keyword: the field is renamed in to_internal_value below.
    to = serializers.DateField(required=False)

    def to_internal_value(self, data):
        if data.get("to") == "":  # DRF skips an empty optional form value; `?to=` is no date either
            raise serializers.ValidationError(
                {"to": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."}
            )
        # The same for every other parameter: `?granularity=` is no granularity (it was taken as the
        # default), `?portfolio=` no portfolio.
        empty = {name: "Give a value, or leave the parameter out." for name in self.fields if data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        values = super().to_internal_value(data)
        raw = data.get("from")
        if raw is not None:  # `?from=` is no date either (a 400), not "from the start"
            try:
                values["from"] = serializers.DateField().run_validation(raw)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"from": exc.detail}) from exc
        return values

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "Must not be before from."})
        return attrs


class CombinedRollupQuery(RollupQuery):
    key = serializers.SlugField()
    portfolio = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    product_line = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class RollupRowSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    value = serializers.DecimalField(max_digits=28, decimal_places=6)
    count = serializers.IntegerField()
    target = serializers.DecimalField(max_digits=28, decimal_places=6, allow_null=True)
    health = serializers.ChoiceField(
        choices=Health.choices,
        help_text="Against the target; `in_progress` for the period holding today (its value is so far) "
        "and `partial` for a first period the measurements cover only part of: neither is judged.",
    )


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="1-based; the header is line 1.")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportSerializer(serializers.ModelSerializer):
    """A CSV import and its progress; `errors` are the first 1,000 (`errors_truncated` when more)."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    errors = ImportErrorSerializer(many=True, read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="processed ÷ total, 100 when done.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Import
        fields = [
            "id",
            "url",
            "portfolio",
            "kpi",
            "filename",
            "size",
            "status",
            "total",
            "processed",
            "percent",
            "created",
            "updated",
            "errors",
            "errors_truncated",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("import-detail", kwargs={"pk": obj.id})


class ImportUpload(serializers.Serializer):
    """The POST body (a multipart form): the file and, for a portfolio file, the portfolio."""

    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    file = serializers.FileField(help_text="CSV: product (id or name), key, observed_at, value, external_id.")


class KPIImportUpload(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: observed_at, value, external_id (the header line optional).")


class ImportAccepted(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.CharField()
