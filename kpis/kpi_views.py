"""Pages that define KPIs and feed them: the KPI form and the measurements page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kpis import imports, services
from kpis.forms import KPIForm, MeasurementCorrectForm, MeasurementForm, PasteForm, UploadForm
from kpis.models import KPI
from kpis.selectors import kpi_for_user, measurement_for_user
from pmflow import access
from pmflow.errors import DomainError
from pmflow.forms import csv_download, save_with
from products.pages import page, portfolio_context
from products.selectors import product_for_user

RECENT = 50


def _kpi_form_page(request, product, form, *, kpi=None):
    title = f"Edit {kpi.name}" if kpi else "New KPI"
    product_url = reverse("product-page", args=[product.id])
    crumbs = [(product.name, product_url)]
    crumbs += [(kpi.name, reverse("kpi-page", args=[kpi.id])), ("Edit", None)] if kpi else [(title, None)]
    context = portfolio_context(
        request,
        product.portfolio,
        crumbs=crumbs,
        form=form,
        title=f"{title} · {product.name}",
        intro="" if kpi else "A KPI with a target says what success looks like; Launch needs one.",
        submit_label="Save changes" if kpi else "Create KPI",
        cancel_url=reverse("kpi-page", args=[kpi.id]) if kpi else product_url,
        delete_url=reverse("kpi-delete", args=[kpi.id]) if kpi else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def kpi_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, KPI, product.portfolio_id)
    form = KPIForm(request.POST or None)
    if kpi := save_with(request, form, lambda data: services.kpi_save(product=product, actor=request.user, **data)):
        messages.success(request, f"KPI “{kpi.name}” created. Add its first measurements.")
        return redirect("kpi-measurements", kpi_id=kpi.id)
    return _kpi_form_page(request, product, form)


@page
def kpi_edit(request, kpi_id: int):
    kpi = kpi_for_user(request.user, kpi_id, write=True)
    form = KPIForm(request.POST or None, initial=KPIForm.initial_for(kpi))
    if save_with(request, form, lambda data: services.kpi_save(kpi=kpi, actor=request.user, **data)):
        messages.success(request, "KPI saved.")
        return redirect("kpi-page", kpi_id=kpi.id)
    return _kpi_form_page(request, kpi.product, form, kpi=kpi)


@page
def kpi_delete(request, kpi_id: int):
    kpi = kpi_for_user(request.user, kpi_id, write=True)
    product_url = reverse("product-page", args=[kpi.product_id])
    if request.method == "POST":
        services.kpi_delete(kpi_id=kpi.id, actor=request.user)
        messages.success(request, f"KPI “{kpi.name}” deleted with its measurements.")
        return redirect(product_url)
    count = kpi.measurements.count()
    context = portfolio_context(
        request,
        kpi.product.portfolio,
        crumbs=[(kpi.product.name, product_url), (kpi.name, reverse("kpi-page", args=[kpi.id])), ("Delete", None)],
        title=f"Delete the KPI “{kpi.name}”?",
        consequence_intro="This cannot be undone. Deleted with it:",
        consequences=[f"{count:,} measurement(s) and every rollup made from them"],
        alternative="Rules that watch its key stop finding it on this product.",
        confirm_label="Delete KPI",
        cancel_url=reverse("kpi-page", args=[kpi.id]),
    )
    return render(request, "confirm_page.html", context)


def _import_errors(exc) -> list[dict]:
    return getattr(exc, "errors", None) or [{"line": None, "column": None, "message": exc.message}]


@page
def kpi_measurements(request, kpi_id: int):
    """Add one value, paste rows, upload a CSV; list and correct recent values."""
    kpi = kpi_for_user(request.user, kpi_id, action="measure" if request.method == "POST" else "read")
    zone = kpi.product.portfolio.zone
    if request.GET.get("format") == "csv":
        rows = kpi.measurements.order_by("observed_at", "id").values_list("observed_at", "value", "external_id")
        return csv_download(
            f"{kpi.key}-{kpi.product_id}-measurements",
            ["observed_at", "value", "external_id"],
            ((at.astimezone(zone).isoformat(), value, ext) for at, value, ext in rows.iterator()),
        )
    action = request.POST.get("action") if request.method == "POST" else None
    single = MeasurementForm(request.POST if action == "single" else None)
    paste = PasteForm(request.POST if action == "paste" else None)
    upload = UploadForm(request.POST if action == "upload" else None, request.FILES if action == "upload" else None)
    import_errors, status, more_errors = [], 200, 0
    try:
        if action == "single" and single.is_valid():
            result = services.measurements_ingest(
                kpi_id=kpi.id, items=[single.cleaned_data], actor=request.user, source="page"
            )
            return _done(request, kpi, result)
        if action == "paste" and paste.is_valid():
            content = paste.cleaned_data["rows"].encode("utf-8")
            return _imported(request, kpi, content, "pasted rows", run_now=True)
        if action == "upload" and upload.is_valid():
            file = upload.cleaned_data["file"]
            content = file.read(imports.max_bytes() + 1)
            return _imported(request, kpi, content, file.name or "", run_now=len(content) <= RUN_NOW_BYTES)
    except services.InvalidImport as exc:  # one value: the field messages go on the form
        for error in exc.errors:
            single.add_error(error["field"] if error.get("field") in single.fields else None, error["message"])
    except imports.ImportRefused as exc:
        import_errors = _import_errors(exc)
    except ImportFailed as exc:
        import_errors, more_errors = exc.upload.errors, exc.more
    except DomainError as exc:
        import_errors = _import_errors(exc)
    if action and (import_errors or single.errors or paste.errors or upload.errors):
        status = 400
    values = Paginator(kpi.measurements.order_by("-observed_at", "-id"), RECENT).get_page(request.GET.get("page"))
    recent = list(values.object_list)
    context = portfolio_context(
        request,
        kpi.product.portfolio,
        crumbs=[
            (kpi.product.name, reverse("product-page", args=[kpi.product_id])),
            (kpi.name, reverse("kpi-page", args=[kpi.id])),
            ("Measurements", None),
        ],
        kpi=kpi,
        product=kpi.product,
        single=single,
        paste=paste,
        upload=upload,
        action=action,
        import_errors=import_errors[:200],
        more_errors=more_errors + max(0, len(import_errors) - 200),
        recent=[(m, MeasurementCorrectForm(initial=_correct_initial(m, zone), prefix=f"m{m.id}")) for m in recent],
        total=values.paginator.count,
        values=values,
        can_measure=access.can(request.user, KPI, kpi.product.portfolio_id, "measure"),
    )
    return render(request, "kpis/measurements.html", context, status=status)


def _correct_initial(measurement, zone) -> dict:
    local = measurement.observed_at.astimezone(zone)
    midnight = local.time() == local.time().min
    value = measurement.value.normalize()
    return {
        "observed_at": local.date().isoformat() if midnight else local.isoformat(timespec="minutes"),
        "value": format(value, "f"),  # never "8.6E+2"
        "shown_at": local.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M"),
        "shown_value": format(value, ",f"),
    }


# A file this small is imported while the page waits (the result shows at once); a larger one goes to
# the worker and the page follows its progress.
RUN_NOW_BYTES = 512 * 1024


class ImportFailed(Exception):
    def __init__(self, upload):
        self.upload = upload
        self.more = upload.errors_truncated


def _imported(request, kpi, content: bytes, filename: str, *, run_now: bool):
    upload = services.import_create(
        portfolio=kpi.product.portfolio,
        kpi=kpi,
        content=content,
        filename=filename,
        actor=request.user,
        source="page",
        run_now=run_now,
    )
    if upload.status == upload.Status.FAILED:
        raise ImportFailed(upload)
    if upload.status == upload.Status.DONE:
        return _done(request, kpi, {"created": upload.created, "updated": upload.updated})
    messages.info(request, f"“{filename}” is being imported; this page follows its progress.")
    return redirect("import-page", import_id=upload.id)


def _done(request, kpi, result) -> object:
    created, updated = result["created"], result["updated"]
    parts = [f"{created:,} added"] + ([f"{updated:,} updated (same external id)"] if updated else [])
    messages.success(request, f"Measurements saved: {', '.join(parts)}. Rollups and health follow in a moment.")
    return redirect("kpi-measurements", kpi_id=kpi.id)


@page
@require_POST
def measurement_correct(request, measurement_id: int):
    measurement = measurement_for_user(request.user, measurement_id, write=True)
    form = MeasurementCorrectForm(request.POST, prefix=f"m{measurement.id}")
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, f"Not corrected — {problems}")
    else:
        try:
            services.measurement_correct(measurement_id=measurement.id, actor=request.user, **form.cleaned_data)
            messages.success(request, "Measurement corrected; its periods are being recomputed.")
        except DomainError as exc:
            fields = getattr(exc, "fields", None) or {}
            detail = "; ".join(f"{name}: {problem}" for name, problem in fields.items()) or exc.message
            messages.error(request, f"Not corrected — {detail}")
    return redirect("kpi-measurements", kpi_id=measurement.kpi_id)


@page
@require_POST
def measurement_delete(request, measurement_id: int):
    measurement = measurement_for_user(request.user, measurement_id, write=True)
    services.measurement_delete(measurement_id=measurement.id, actor=request.user)
    messages.success(request, "Measurement deleted; its period is being recomputed.")
    return redirect("kpi-measurements", kpi_id=measurement.kpi_id)
