"""The admin writes through the same services as pages, API and tasks.

`ServiceAdmin` calls `service_save()` while the admin form validates, so a domain error (a taken
name, the last admin, bad rule params) becomes a form error instead of a 500, and `service_delete()`
for deletes. Subclasses say which service does the work.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

from pmflow.errors import DomainError


def domain_error_messages(exc: DomainError) -> dict:
    fields = getattr(exc, "fields", None) or {}
    return fields or {None: exc.message}


class ServiceAdmin(admin.ModelAdmin):
    def service_save(self, request, obj, form, change):
        """Write `obj` (an unsaved or changed instance with the form's values) through a service; return it."""
        raise NotImplementedError

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(base):
            def _post_clean(self):
                super()._post_clean()
                if self._errors:
                    return
                try:
                    with transaction.atomic():
                        self.instance = model_admin.service_save(request, self.instance, self, change)
                except DomainError as exc:
                    for field, problem in domain_error_messages(exc).items():
                        name = field if field in self.fields else None
                        self.add_error(name, ValidationError(problem if isinstance(problem, list) else [problem]))

        return ServiceForm

    def save_model(self, request, obj, form, change):
        """Already written by `service_save` while the form validated."""

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except DomainError as exc:
            messages.error(request, f"“{obj}” was not deleted: {exc.message}")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
