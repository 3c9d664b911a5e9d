from django.contrib import admin

from kpis import services
from kpis.models import KPI, Measurement, Rollup
from pmflow.service_admin import ServiceAdmin


@admin.register(KPI)
class KPIAdmin(ServiceAdmin):
    list_display = [
        "name",
        "key",
        "product",
        "aggregation",
        "target",
        "target_granularity",
        "health",
        "headline",
    ]
    list_filter = ["aggregation", "health", "direction"]
    search_fields = ["name", "key", "product__name"]
    readonly_fields = ["health", "latest_value", "latest_period_start"]
    list_select_related = ["product"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "product"] if obj else self.readonly_fields

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.KPI_FIELDS if name in form.cleaned_data}
        if change:
            return services.kpi_save(kpi=obj, actor=request.user, **data)
        return services.kpi_save(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        services.kpi_delete(kpi_id=obj.pk, actor=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Measurements come in through the API (which recomputes rollups); rollups are derived data."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ["kpi", "observed_at", "value", "external_id", "recorded_at"]
    list_select_related = ["kpi"]
    search_fields = ["external_id", "kpi__key"]
    date_hierarchy = "observed_at"
    show_full_result_count = False


@admin.register(Rollup)
class RollupAdmin(ReadOnlyAdmin):
    list_display = ["kpi", "granularity", "period_start", "value", "count"]
    list_filter = ["granularity"]
    list_select_related = ["kpi"]
    show_full_result_count = False
