"""Go-to-market in the admin, written through the same services as pages and API.

Launch templates keep their task rows on their page (pages and API edit them as one list); launch plans
are edited here without their tasks (the plan page is where a team works its checklist).
"""

from django.contrib import admin

from gtm.models import Asset, Campaign, LaunchPlan, LaunchTask, LaunchTemplate, MarketingEvent, Messaging, PressItem
from gtm.services import campaigns, enablement, launches, messaging
from pmflow.service_admin import ServiceAdmin


@admin.register(LaunchTemplate)
class LaunchTemplateAdmin(ServiceAdmin):
    list_display = ["name", "portfolio", "tier", "updated_at"]
    list_filter = ["tier", "portfolio"]
    search_fields = ["name"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in launches.TEMPLATE_FIELDS if name in form.cleaned_data}
        if change:
            return launches.launch_template_update(template_id=obj.pk, actor=request.user, **data)
        return launches.launch_template_create(portfolio=form.cleaned_data["portfolio"], actor=request.user, **data)

    def service_delete(self, request, obj):
        launches.launch_template_delete(template_id=obj.pk, actor=request.user)


@admin.register(LaunchPlan)
class LaunchPlanAdmin(ServiceAdmin):
    list_display = ["name", "product", "tier", "launch_date", "status", "launched_at"]
    list_filter = ["status", "tier", "product__portfolio"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["release"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in launches.PLAN_FIELDS if name in form.cleaned_data}
        if change:
            return launches.launch_plan_update(plan_id=obj.pk, actor=request.user, **data)
        return launches.launch_plan_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        launches.launch_plan_delete(plan_id=obj.pk, actor=request.user)


@admin.register(LaunchTask)
class LaunchTaskAdmin(ServiceAdmin):
    list_display = ["title", "launch_plan", "function", "status", "due_date", "required"]
    list_filter = ["status", "function", "required"]
    search_fields = ["title", "launch_plan__name"]
    autocomplete_fields = ["launch_plan"]
    exclude = ["position"]  # the service appends a new task to its plan's list

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in launches.TASK_FIELDS if name in form.cleaned_data}
        if change:
            return launches.launch_task_update(task_id=obj.pk, actor=request.user, **data)
        return launches.launch_task_create(launch_plan=form.cleaned_data["launch_plan"], actor=request.user, **data)

    def service_delete(self, request, obj):
        launches.launch_task_delete(task_id=obj.pk, actor=request.user)


@admin.register(Messaging)
class MessagingAdmin(ServiceAdmin):
    """Edits a draft's content; submitting, approving and revising are the pages' and the API's."""

    list_display = ["__str__", "product", "version", "status", "approved_at"]
    list_filter = ["status", "product__portfolio"]
    search_fields = ["positioning", "value_proposition"]
    filter_horizontal = ["target_segments", "target_personas"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in messaging.CONTENT_FIELDS if name in form.cleaned_data}
        for name in messaging.LINK_FIELDS:
            if name in data:
                data[name] = list(data[name])
        if change:
            return messaging.messaging_update(messaging_id=obj.pk, actor=request.user, **data)
        return messaging.messaging_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def save_related(self, request, form, formsets, change):
        """The service already set the segments and personas."""

    def service_delete(self, request, obj):
        messaging.messaging_delete(messaging_id=obj.pk, actor=request.user)


@admin.register(Campaign)
class CampaignAdmin(ServiceAdmin):
    list_display = ["name", "product", "channel", "start_date", "end_date", "budget", "spend", "status"]
    list_filter = ["status", "channel", "product__portfolio"]
    search_fields = ["name", "description"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in campaigns.CAMPAIGN_FIELDS if name in form.cleaned_data}
        if change:
            return campaigns.campaign_update(campaign_id=obj.pk, actor=request.user, **data)
        return campaigns.campaign_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        campaigns.campaign_delete(campaign_id=obj.pk, actor=request.user)


@admin.register(Asset)
class AssetAdmin(ServiceAdmin):
    """Links and their details; files are uploaded on the pages (size limit, stored outside static files)."""

    list_display = ["title", "product", "kind", "audience", "version", "updated_at"]
    list_filter = ["kind", "audience", "product__portfolio"]
    search_fields = ["title", "description"]
    exclude = ["file"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in enablement.ASSET_FIELDS if name in form.cleaned_data}
        if change:
            return enablement.asset_update(asset_id=obj.pk, actor=request.user, **data)
        return enablement.asset_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        enablement.asset_delete(asset_id=obj.pk, actor=request.user)


@admin.register(MarketingEvent)
class MarketingEventAdmin(ServiceAdmin):
    list_display = ["name", "portfolio", "kind", "start_date", "end_date", "location", "cost", "leads"]
    list_filter = ["kind", "portfolio"]
    search_fields = ["name", "location"]
    filter_horizontal = ["products"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in enablement.EVENT_FIELDS if name in form.cleaned_data}
        products = list(form.cleaned_data.get("products") or [])
        if change:
            return enablement.marketing_event_update(event_id=obj.pk, actor=request.user, products=products, **data)
        return enablement.marketing_event_create(
            portfolio=form.cleaned_data["portfolio"], actor=request.user, products=products, **data
        )

    def save_related(self, request, form, formsets, change):
        """The service already set the products."""

    def service_delete(self, request, obj):
        enablement.marketing_event_delete(event_id=obj.pk, actor=request.user)


@admin.register(PressItem)
class PressItemAdmin(ServiceAdmin):
    list_display = ["title", "product", "kind", "channel", "publish_date", "status"]
    list_filter = ["status", "kind", "product__portfolio"]
    search_fields = ["title", "channel"]

    def service_save(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in enablement.PRESS_FIELDS if name in form.cleaned_data}
        if change:
            return enablement.press_item_update(item_id=obj.pk, actor=request.user, **data)
        return enablement.press_item_create(product=form.cleaned_data["product"], actor=request.user, **data)

    def service_delete(self, request, obj):
        enablement.press_item_delete(item_id=obj.pk, actor=request.user)
