from django.contrib import admin

from pmflow.service_admin import ServiceAdmin
from products import services
from products.models import (
    DomainEvent,
    Feedback,
    Goal,
    Idea,
    KeyResult,
    LifecycleRule,
    Membership,
    Persona,
    Portfolio,
    Product,
    ProductLine,
    Segment,
    StageGate,
    StageTransition,
)
from products.services import feedback, goals
from products.services import gates as gate_services


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (the ledger, the events): the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Portfolio)
class PortfolioAdmin(ServiceAdmin):
    list_display = ["name", "timezone", "created_at"]
    search_fields = ["name"]

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            return services.portfolio_update(
                portfolio_id=obj.pk, actor=request.user, name=data["name"], timezone_name=data["timezone"]
            )
        return services.portfolio_create(name=data["name"], timezone_name=data["timezone"], creator=request.user)

    def service_delete(self, request, obj):
        obj.delete()  # a whole portfolio goes with everything in it; the events go with it too


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "portfolio", "role"]
    list_filter = ["role", "portfolio"]
    search_fields = ["user__username", "portfolio__name"]
    list_select_related = ["user", "portfolio"]
    autocomplete_fields = ["user"]

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change and (
            data["user"].pk != form.initial.get("user") or data["portfolio"].pk != form.initial.get("portfolio")
        ):
            from pmflow.errors import InvalidInput

            raise InvalidInput(fields={"user": "Change only the role here; add a new membership for someone else."})
        return services.membership_set(
            portfolio=data["portfolio"], username=data["user"].get_username(), role=data["role"], actor=request.user
        )

    def service_delete(self, request, obj):
        services.membership_remove(membership_id=obj.pk, actor=request.user)


@admin.register(ProductLine)
class ProductLineAdmin(ServiceAdmin):
    list_display = ["name", "portfolio"]
    list_filter = ["portfolio"]
    search_fields = ["name"]
    list_select_related = ["portfolio"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {"name": data["name"], "description": data["description"]}
        if change:
            return services.product_line_save(product_line=obj, actor=request.user, **fields)
        return services.product_line_save(portfolio=data["portfolio"], actor=request.user, **fields)

    def service_delete(self, request, obj):
        services.product_line_delete(product_line_id=obj.pk, actor=request.user)


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    list_display = ["name", "portfolio", "product_line", "stage", "stage_changed_at", "archived_at"]
    list_filter = ["stage", "portfolio"]
    search_fields = ["name"]
    readonly_fields = ["stage", "stage_changed_at", "archived_at"]
    list_select_related = ["portfolio", "product_line"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "portfolio"] if obj else self.readonly_fields

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            return services.product_update(
                product_id=obj.pk,
                actor=request.user,
                name=data["name"],
                description=data["description"],
                vision=data.get("vision", ""),
                product_line=data["product_line"],
            )
        return services.product_create(
            portfolio=data["portfolio"],
            product_line=data["product_line"],
            name=data["name"],
            description=data["description"],
            vision=data.get("vision", ""),
            actor=request.user,
        )

    def service_delete(self, request, obj):
        services.product_delete(product_id=obj.pk, actor=request.user)


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    """The ledger is append-only: rows are written by products.services.product_transition."""

    list_display = ["product", "from_stage", "to_stage", "at", "actor", "rule", "override"]
    list_filter = ["to_stage", "override"]
    list_select_related = ["product", "actor", "rule"]
    search_fields = ["product__name", "reason"]


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "verb", "object_type", "object_id", "object_repr", "actor", "portfolio"]
    list_filter = ["verb", "object_type"]
    list_select_related = ["actor", "portfolio"]
    search_fields = ["object_repr", "verb"]
    show_full_result_count = False


@admin.register(LifecycleRule)
class LifecycleRuleAdmin(ServiceAdmin):
    list_display = ["name", "portfolio", "from_stage", "to_stage", "condition_type", "mode", "is_active"]
    list_filter = ["portfolio", "condition_type", "is_active"]
    search_fields = ["name"]
    exclude = ["created_by"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in services.rules.RULE_FIELDS if name in data}
        if change:
            return services.lifecycle_rule_save(rule=obj, actor=request.user, **fields)
        return services.lifecycle_rule_save(portfolio=data["portfolio"], actor=request.user, **fields)

    def service_delete(self, request, obj):
        services.lifecycle_rule_delete(rule_id=obj.pk, actor=request.user)


@admin.register(Goal)
class GoalAdmin(ServiceAdmin):
    """Goals through products.services.goals (one event per write); the product is fixed once created."""

    list_display = ["title", "product", "period_start", "period_end"]
    list_filter = ["product__portfolio"]
    search_fields = ["title"]
    list_select_related = ["product"]

    def get_readonly_fields(self, request, obj=None):
        return ["product"] if obj else []

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in goals.GOAL_FIELDS if name in form.cleaned_data}
        if change:
            return goals.goal_update(goal_id=obj.pk, actor=request.user, **data)
        return goals.goal_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        goals.goal_delete(goal_id=obj.pk, actor=request.user)


@admin.register(KeyResult)
class KeyResultAdmin(ServiceAdmin):
    """Key results through products.services.goals. The KPI that measures one is set on the goals pages,
    the API or the KPI (it holds the link)."""

    list_display = ["title", "goal", "start_value", "target_value", "manual_value"]
    search_fields = ["title", "goal__title"]
    list_select_related = ["goal"]

    def get_readonly_fields(self, request, obj=None):
        return ["goal"] if obj else []

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in goals.KEY_RESULT_FIELDS if name in form.cleaned_data}
        if change:
            return goals.key_result_update(key_result_id=obj.pk, actor=request.user, **data)
        return goals.key_result_create(goal=form.cleaned_data["goal"], actor=request.user, **data)

    def service_delete(self, request, obj):
        goals.key_result_delete(key_result_id=obj.pk, actor=request.user)


@admin.register(Idea)
class IdeaAdmin(ServiceAdmin):
    """Ideas through products.services.ideas. The decision (evaluate, accept into a roadmap item, reject with
    a reason) is taken on the idea's page or the API: here it is read-only."""

    list_display = ["title", "product", "status", "decided_at", "created_at"]
    list_filter = ["status"]
    list_select_related = ["product"]
    search_fields = ["title", "description"]
    filter_horizontal = ["insights"]
    readonly_fields = ["status", "decision_reason", "decided_at", "decided_by"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "product"] if obj else self.readonly_fields

    def service_save(self, request, obj, form, change):
        from products.services import ideas

        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "description": data["description"],
            "insights": list(data.get("insights") or []),
        }
        if change:
            return ideas.idea_update(idea_id=obj.pk, actor=request.user, **fields)
        return ideas.idea_create(product=data["product"], actor=request.user, **fields)

    def save_related(self, request, form, formsets, change):
        """The service already set the insights."""

    def service_delete(self, request, obj):
        from products.services import ideas

        ideas.idea_delete(idea_id=obj.pk, actor=request.user)


@admin.register(Feedback)
class FeedbackAdmin(ServiceAdmin):
    """Written through products.services.feedback (its checks, one event per change), as on the pages."""

    list_display = ["__str__", "product", "source", "importance", "deal_value", "received_on"]
    list_filter = ["source", "importance", "product__portfolio"]
    search_fields = ["text", "customer"]
    list_select_related = ["product"]
    filter_horizontal = ["ideas"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in feedback.FEEDBACK_FIELDS if name in form.cleaned_data}
        ideas = list(form.cleaned_data.get("ideas") or [])
        if change:
            return feedback.feedback_update(feedback_id=obj.pk, actor=request.user, ideas=ideas, **data)
        return feedback.feedback_create(actor=request.user, ideas=ideas, **data)

    def save_related(self, request, form, formsets, change):
        """The service already set the ideas."""

    def service_delete(self, request, obj):
        feedback.feedback_delete(feedback_id=obj.pk, actor=request.user)


@admin.register(Segment)
class SegmentAdmin(ServiceAdmin):
    """Segments through products.services.audience (a name unique in the portfolio, its products only)."""

    list_display = ["name", "portfolio", "size", "growth_pct", "priority"]
    list_filter = ["priority", "portfolio"]
    search_fields = ["name", "description"]
    filter_horizontal = ["products"]
    list_select_related = ["portfolio"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        from products.services import audience

        data = {name: form.cleaned_data[name] for name in audience.SEGMENT_FIELDS if name in form.cleaned_data}
        products = list(form.cleaned_data.get("products") or [])
        if change:
            return audience.segment_update(segment_id=obj.pk, actor=request.user, products=products, **data)
        return audience.segment_create(
            portfolio=form.cleaned_data["portfolio"], actor=request.user, products=products, **data
        )

    def save_related(self, request, form, formsets, change):
        """The service already set the products."""

    def service_delete(self, request, obj):
        from products.services import audience

        audience.segment_delete(segment_id=obj.pk, actor=request.user)


@admin.register(Persona)
class PersonaAdmin(ServiceAdmin):
    """Personas through products.services.audience (a segment of the same portfolio, the journey's shape)."""

    list_display = ["name", "portfolio", "segment"]
    list_filter = ["portfolio"]
    search_fields = ["name", "goals", "pains"]
    list_select_related = ["portfolio", "segment"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        from products.services import audience

        data = {name: form.cleaned_data[name] for name in audience.PERSONA_FIELDS if name in form.cleaned_data}
        if change:
            return audience.persona_update(persona_id=obj.pk, actor=request.user, **data)
        return audience.persona_create(portfolio=form.cleaned_data["portfolio"], actor=request.user, **data)

    def service_delete(self, request, obj):
        from products.services import audience

        audience.persona_delete(persona_id=obj.pk, actor=request.user)


# --- market insight, competitors and their moves (products.services.market) -------------------------

from products.models import Competitor, CompetitorMove, MarketInsight  # noqa: E402
from products.services import market  # noqa: E402


@admin.register(MarketInsight)
class MarketInsightAdmin(ServiceAdmin):
    """Insights through products.services.market (products of the same portfolio, one event per change)."""

    list_display = ["title", "portfolio", "kind", "impact", "observed_on"]
    list_filter = ["kind", "impact", "portfolio"]
    search_fields = ["title", "summary", "source"]
    list_select_related = ["portfolio"]
    filter_horizontal = ["products"]
    date_hierarchy = "observed_on"

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in market.INSIGHT_FIELDS if name in form.cleaned_data}
        products = list(form.cleaned_data.get("products") or [])
        if change:
            return market.market_insight_update(insight_id=obj.pk, actor=request.user, products=products, **data)
        return market.market_insight_create(
            portfolio=form.cleaned_data["portfolio"], actor=request.user, products=products, **data
        )

    def save_related(self, request, form, formsets, change):
        """The service already set the products."""

    def service_delete(self, request, obj):
        market.market_insight_delete(insight_id=obj.pk, actor=request.user)


@admin.register(Competitor)
class CompetitorAdmin(ServiceAdmin):
    list_display = ["name", "portfolio", "threat", "website"]
    list_filter = ["threat", "portfolio"]
    search_fields = ["name", "strengths", "weaknesses", "pricing"]
    list_select_related = ["portfolio"]
    filter_horizontal = ["segments"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in market.COMPETITOR_FIELDS if name in form.cleaned_data}
        segments = list(form.cleaned_data.get("segments") or [])
        if change:
            return market.competitor_update(competitor_id=obj.pk, actor=request.user, segments=segments, **data)
        return market.competitor_create(
            portfolio=form.cleaned_data["portfolio"], actor=request.user, segments=segments, **data
        )

    def save_related(self, request, form, formsets, change):
        """The service already set the segments."""

    def service_delete(self, request, obj):
        market.competitor_delete(competitor_id=obj.pk, actor=request.user)


@admin.register(CompetitorMove)
class CompetitorMoveAdmin(ServiceAdmin):
    list_display = ["__str__", "kind", "happened_on", "response_status"]
    list_filter = ["response_status", "kind", "competitor__portfolio"]
    search_fields = ["description", "response", "competitor__name"]
    list_select_related = ["competitor"]
    filter_horizontal = ["products"]
    autocomplete_fields = ["competitor"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in market.MOVE_FIELDS if name in form.cleaned_data}
        products = list(form.cleaned_data.get("products") or [])
        if change:
            return market.competitor_move_update(move_id=obj.pk, actor=request.user, products=products, **data)
        competitor = data.pop("competitor")
        return market.competitor_move_create(competitor=competitor, actor=request.user, products=products, **data)

    def save_related(self, request, form, formsets, change):
        """The service already set the products."""

    def service_delete(self, request, obj):
        market.competitor_move_delete(move_id=obj.pk, actor=request.user)


# --- the status book (products.services.status_book) -------------------------------------------------
from products.models import StatusBookEntry  # noqa: E402
from products.services import status_book  # noqa: E402


@admin.register(StatusBookEntry)
class StatusBookEntryAdmin(ServiceAdmin):
    """Written through products.services.status_book (its checks, one event per change), as on the pages.
    The admin site's own permissions decide who changes a line here, not the author rule of the pages."""

    list_display = ["date", "author", "product", "category", "minutes", "__str__"]
    list_filter = ["category", "product__portfolio"]
    search_fields = ["text", "author__username", "product__name"]
    list_select_related = ["product", "author"]
    date_hierarchy = "date"
    autocomplete_fields = ["author"]

    def get_readonly_fields(self, request, obj=None):
        return ["author"] if obj else []

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in status_book.ENTRY_FIELDS if name in form.cleaned_data}
        if change:
            return status_book.status_book_entry_update(entry_id=obj.pk, actor=request.user, check_author=False, **data)
        product = data.pop("product")
        return status_book.status_book_entry_create(
            product=product, author=form.cleaned_data.get("author"), actor=request.user, **data
        )

    def service_delete(self, request, obj):
        status_book.status_book_entry_delete(entry_id=obj.pk, actor=request.user, check_author=False)


# --- the portfolio analysis's thresholds (products.services.analysis_settings) ------------------------
from products.models import AnalysisSettings  # noqa: E402
from products.services import analysis_settings  # noqa: E402


@admin.register(AnalysisSettings)
class AnalysisSettingsAdmin(ServiceAdmin):
    """Written through products.services.analysis_settings (its ranges, one event per change), as on the
    thresholds page. Not deleted here: a portfolio always has its thresholds (the defaults until changed)."""

    list_display = ["portfolio", *analysis_settings.SETTING_FIELDS]
    list_select_related = ["portfolio"]
    search_fields = ["portfolio__name"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in analysis_settings.SETTING_FIELDS if name in form.cleaned_data}
        portfolio = obj.portfolio if change else form.cleaned_data["portfolio"]
        return analysis_settings.analysis_settings_update(portfolio=portfolio, actor=request.user, **data)


# --- research and planning documents (products.services.documents) -----------------------------------
from products.models import Document, DocumentComment, DocumentVersion  # noqa: E402
from products.services import documents as document_services  # noqa: E402


class DocumentVersionInline(admin.TabularInline):
    """The kept versions (written by the services only): read here, compared on the document's pages."""

    model = DocumentVersion
    fields = ["version", "title", "author", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DocumentCommentInline(admin.TabularInline):
    """Review comments: added and resolved on the document's page or through the API (their services)."""

    model = DocumentComment
    fields = ["version", "author", "body", "resolved", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ServiceAdmin):
    """Documents through products.services.documents (a new title or body is the next version, an archived
    document is read-only until set back to draft, ideas and feedback of the same portfolio, one event per
    change). Roadmap items link documents from the roadmap's side."""

    list_display = ["title", "product", "kind", "status", "version", "updated_by", "updated_at"]
    list_filter = ["kind", "status", "product__portfolio"]
    search_fields = ["title", "body"]
    list_select_related = ["product", "updated_by"]
    filter_horizontal = ["ideas", "feedback"]
    inlines = [DocumentVersionInline, DocumentCommentInline]

    def get_readonly_fields(self, request, obj=None):
        return ["product", "version", "updated_by", "updated_at"] if obj else ["version"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body" and field is not None:
            field.strip = False  # Markdown's indentation is meaning (the service trims the end)
        return field

    def service_save(self, request, obj, form, change):
        names = (*document_services.DOCUMENT_FIELDS, *document_services.LINK_FIELDS)
        data = {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}
        for name in document_services.LINK_FIELDS:
            if name in data:
                data[name] = list(data[name] or [])
        if change:
            return document_services.document_update(document_id=obj.pk, actor=request.user, **data)
        return document_services.document_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def save_related(self, request, form, formsets, change):
        """The service already set the links. The inlines are read-only: saving them writes nothing, and
        gives the admin's change message what it reads (`new_objects`, …)."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def service_delete(self, request, obj):
        document_services.document_delete(document_id=obj.pk, actor=request.user)


# --- annual marketing plans (products.services.budget) ------------------------------------------------
from django.forms import ModelForm as _PlanModelForm  # noqa: E402
from django.forms.formsets import all_valid  # noqa: E402

from pmflow.errors import InvalidInput  # noqa: E402
from products.models import BudgetLine, BudgetPlan, SalesTarget  # noqa: E402
from products.services import budget as budget_services  # noqa: E402


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    fields = ["quarter", "channel", "amount"]
    extra = 1


class SalesTargetInline(admin.TabularInline):
    model = SalesTarget
    fields = ["quarter", "amount"]
    extra = 0
    max_num = budget_services.SALES_TARGETS_MAX


class BudgetPlanAdminForm(_PlanModelForm):
    class Meta:
        model = BudgetPlan
        fields = ["product", "product_line", "year"]

    def _get_validation_exclusions(self):
        """One owner, one plan per owner and year, years 1900–2200: the service's checks (with its messages on
        the fields), not the model's constraints ("Constraint … is violated")."""
        return {*super()._get_validation_exclusions(), "product", "product_line", "year"}


@admin.register(BudgetPlan)
class BudgetPlanAdmin(ServiceAdmin):
    """A plan with its budget lines and sales targets (the inlines), written whole in one call of
    products.services.budget (its checks, the owner's portfolio, one event per change), as on the pages."""

    form = BudgetPlanAdminForm
    list_display = ["__str__", "portfolio", "year", "product", "product_line", "created_at"]
    list_filter = ["year", "portfolio"]
    search_fields = ["product__name", "product_line__name"]
    list_select_related = ["portfolio", "product", "product_line"]
    inlines = [BudgetLineInline, SalesTargetInline]

    def _create_formsets(self, request, obj, change):
        # The lines and targets are written by the service while the plan's form validates (ServiceAdmin),
        # so it needs the inline formsets there.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        request.budget_plan_formsets = formsets
        return formsets, inline_instances

    @staticmethod
    def _rows(formset, names) -> list[dict]:
        return [
            {name: form.cleaned_data.get(name) for name in names}
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def service_save(self, request, obj, form, change):
        formsets = getattr(request, "budget_plan_formsets", [])
        if not all_valid(formsets):
            raise InvalidInput("Correct the budget lines and sales targets below.")
        rows = {}
        for formset in formsets:
            if formset.model is BudgetLine:
                rows["budget_lines"] = self._rows(formset, ("quarter", "channel", "amount"))
            elif formset.model is SalesTarget:
                rows["sales_targets"] = self._rows(formset, ("quarter", "amount"))
        data = {name: form.cleaned_data.get(name) for name in budget_services.PLAN_FIELDS}
        if change:
            return budget_services.budget_plan_update(plan_id=obj.pk, actor=request.user, **data, **rows)
        return budget_services.budget_plan_create(actor=request.user, **data, **rows)

    def save_related(self, request, form, formsets, change):
        """The service already wrote the lines and targets; saving the formsets again writes nothing."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def service_delete(self, request, obj):
        budget_services.budget_plan_delete(plan_id=obj.pk, actor=request.user)


@admin.register(StageGate)
class StageGateAdmin(ServiceAdmin):
    """A stage's exit criteria through products.services.gates (checked, one event per change); deleting a
    row brings the stage's default criteria back."""

    list_display = ["portfolio", "stage", "criteria", "updated_at"]
    list_filter = ["portfolio", "stage"]
    list_select_related = ["portfolio"]

    def get_readonly_fields(self, request, obj=None):
        return ["portfolio"] if obj else []

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            return gate_services.stage_gate_save(
                gate=obj, actor=request.user, stage=data["stage"], criteria=data.get("criteria") or []
            )
        return gate_services.stage_gate_save(
            portfolio=data["portfolio"], stage=data["stage"], criteria=data.get("criteria") or [], actor=request.user
        )

    def service_delete(self, request, obj):
        gate_services.stage_gate_delete(gate_id=obj.pk, actor=request.user)
