from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from pmflow.errors import DomainError
from products import services
from products.models import LifecycleRule, Membership, Portfolio, Product, ProductLine, StageTransition


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Portfolio)
class PortfolioAdmin(SimpleHistoryAdmin):
    list_display = ["name", "timezone", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "portfolio", "role"]
    list_filter = ["role", "portfolio"]
    search_fields = ["user__username", "portfolio__name"]
    list_select_related = ["user", "portfolio"]


@admin.register(ProductLine)
class ProductLineAdmin(SimpleHistoryAdmin):
    list_display = ["name", "portfolio"]
    list_filter = ["portfolio"]
    search_fields = ["name"]
    list_select_related = ["portfolio"]


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "portfolio", "product_line", "stage", "stage_changed_at"]
    list_filter = ["stage", "portfolio"]
    search_fields = ["name"]
    readonly_fields = ["stage", "stage_changed_at"]
    list_select_related = ["portfolio", "product_line"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # New products get their first ledger row from the same service as the API.
        try:
            created = services.product_create(
                portfolio=obj.portfolio,
                product_line=obj.product_line,
                name=obj.name,
                description=obj.description,
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            raise
        obj.pk, obj.stage, obj.stage_changed_at = created.pk, created.stage, created.stage_changed_at
        obj._state.adding = False


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    """The ledger is append-only: rows are written by products.services.product_transition."""

    list_display = ["product", "from_stage", "to_stage", "at", "actor", "rule", "override"]
    list_filter = ["to_stage", "override"]
    list_select_related = ["product", "actor", "rule"]
    search_fields = ["product__name", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LifecycleRule)
class LifecycleRuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "portfolio", "from_stage", "to_stage", "condition_type", "mode", "is_active"]
    list_filter = ["portfolio", "condition_type", "is_active"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        obj.params = services.lifecycle_rule_clean(
            condition_type=obj.condition_type,
            params=obj.params,
            from_stage=obj.from_stage,
            to_stage=obj.to_stage,
        )
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
