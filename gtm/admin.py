"""Go-to-market in the admin, written through the same services as pages and API.

Launch templates keep their task rows on their page (pages and API edit them as one list); launch plans
are edited here without their tasks (the plan page is where a team works its checklist).
"""

from django.contrib import admin

from gtm.models import LaunchPlan, LaunchTask, LaunchTemplate
from gtm.services import launches
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
