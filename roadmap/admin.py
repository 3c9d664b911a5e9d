"""The roadmap in the admin, written through the same services as pages and API."""

from django.contrib import admin

from pmflow.service_admin import ServiceAdmin
from roadmap import services
from roadmap.models import Release, RoadmapDependency, RoadmapItem, ScoringWeights
from roadmap.services.items import LINK_FIELDS


@admin.register(RoadmapItem)
class RoadmapItemAdmin(ServiceAdmin):
    list_display = ["title", "product", "kind", "status", "horizon", "rank", "release"]
    list_filter = ["kind", "status", "horizon", "product__portfolio"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["parent", "release"]
    filter_horizontal = ["ideas", "feedback"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name in services.ITEM_FIELDS}
        links = {name: list(form.cleaned_data[name]) for name in LINK_FIELDS if name in form.cleaned_data}
        if change:
            return services.roadmap_item_update(item_id=obj.pk, actor=request.user, **data, **links)
        return services.roadmap_item_create(product=form.cleaned_data["product"], actor=request.user, **data, **links)

    def save_related(self, request, form, formsets, change):
        """The service already set the ideas and feedback."""

    def service_delete(self, request, obj):
        services.roadmap_item_delete(item_id=obj.pk, actor=request.user)


@admin.register(Release)
class ReleaseAdmin(ServiceAdmin):
    list_display = ["version", "name", "product", "target_date", "status", "shipped_at"]
    list_filter = ["status", "product__portfolio"]
    search_fields = ["version", "name"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.RELEASE_FIELDS if name in form.cleaned_data}
        if change:
            return services.release_update(release_id=obj.pk, actor=request.user, **data)
        return services.release_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        services.release_delete(release_id=obj.pk, actor=request.user)


@admin.register(RoadmapDependency)
class RoadmapDependencyAdmin(ServiceAdmin):
    list_display = ["item", "kind", "depends_on"]
    list_filter = ["kind"]
    autocomplete_fields = ["item", "depends_on"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # add or delete; no edits

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        return services.dependency_create(
            item=data["item"], depends_on=data["depends_on"], kind=data["kind"], actor=request.user
        )

    def service_delete(self, request, obj):
        services.dependency_delete(dependency_id=obj.pk, actor=request.user)


@admin.register(ScoringWeights)
class ScoringWeightsAdmin(ServiceAdmin):
    list_display = ["portfolio", "value", "business_value", "time_criticality", "risk_reduction", "effort"]

    def service_save(self, request, obj, form, change):
        data = {name: value for name, value in form.cleaned_data.items() if name != "portfolio"}
        return services.scoring_weights_save(
            portfolio=form.cleaned_data.get("portfolio") or obj.portfolio, actor=request.user, **data
        )

    def has_delete_permission(self, request, obj=None):
        return False  # set every weight to its default instead: the change is recorded
