"""Pages that define KPIs and feed them: the KPI form and the measurements page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gtm.models import Campaign, LaunchPlan
from kpis import imports, rights, services
from kpis.forms import KPIForm, MeasurementCorrectForm, MeasurementForm, PasteForm, UploadForm
from kpis.models import KPI
from kpis.selectors import kpi_for_user, measurement_for_user
from pmflow import access
from pmflow.errors import DomainError
from pmflow.forms import csv_download, save_with
from products.pages import page, portfolio_context
from products.selectors import product_for_user

RECENT = 50


def _kpi_form_page(request, product, form, *, kpi=None, preset=None):
    title = f"Edit {kpi.name}" if kpi else "New KPI"
    product_url = reverse("product-page", args=[product.id])
    crumbs = [(product.name, product_url)]
    crumbs += [(kpi.name, reverse("kpi-page", args=[kpi.id])), ("Edit", None)] if kpi else [(title, None)]
    scope = (preset or {}).get("campaign") or (preset or {}).get("launch_plan")
    if kpi:
        intro = ""
    elif scope is not None:
        intro = (
            f"A KPI of “{scope.name}”. On a campaign, a key ending in leads, revenue or conversion_rate "
            "(e.g. search_leads: keys are unique per product) gives its cost per lead, ROI or conversion."
        )
    else:
        intro = "A KPI with a target says what success looks like; Launch needs one."
    context = portfolio_context(
        request,
        product.portfolio,
        crumbs=crumbs,
        form=form,
        title=f"{title} · {scope.name if scope is not None else product.name}",
        intro=intro,
        submit_label="Save changes" if kpi else "Create KPI",
        cancel_url=reverse("kpi-page", args=[kpi.id]) if kpi else _back_url(product, preset),
        delete_url=reverse("kpi-delete", args=[kpi.id]) if kpi else None,
        # A marketer writes this form (a launch's or a campaign's KPI): not a read-only page for them.
        read_only=False,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


def _back_url(product, preset) -> str:
    """Where "Cancel" leads: the launch's KPI page when the form came from it, else the product."""
    plan = preset.get("launch_plan") or getattr(preset.get("campaign"), "launch_plan", None) if preset else None
    if plan is not None:
        return reverse("launch-kpis", args=[plan.id])
    return reverse("product-page", args=[product.id])


def _preset(query, product) -> dict:
    """The launch plan and campaign a "new KPI" link preselects (`?launch_plan=`, `?campaign=`), if they are
    the product's; anything else is ignored (the form then starts without them)."""
    preset = {}
    for name, model in (("launch_plan", LaunchPlan), ("campaign", Campaign)):
        raw = query.get(name, "")
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            found = model.objects.filter(pk=int(raw), product=product).first()
            if found is not None:
                preset[name] = found
    if "campaign" in preset and "launch_plan" not in preset and preset["campaign"].launch_plan_id:
        preset["launch_plan"] = preset["campaign"].launch_plan
    return preset


@page
def kpi_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    preset = _preset(request.GET, product)
    # Before the body: a marketer opens this form only for a launch plan or a campaign (the link says which).
    rights.require_kpi_write(request.user, product.portfolio_id, preset)
    narrowed_only = not access.can(request.user, KPI, product.portfolio_id)
    initial = {name: obj.id for name, obj in preset.items()}
    form = KPIForm(request.POST or None, product=product, narrowed_only=narrowed_only, initial=initial)

    def save(data):
        # What the form would make: a marketer's KPI keeps a plan or a campaign and leaves the headline alone.
        rights.require_kpi_write(request.user, product.portfolio_id, data, headline_change=bool(data.get("headline")))
        return services.kpi_save(product=product, actor=request.user, **data)

    if kpi := save_with(request, form, save):
        messages.success(request, f"KPI “{kpi.name}” created. Add its first measurements.")
        return redirect("kpi-measurements", kpi_id=kpi.id)
    return _kpi_form_page(request, product, form, preset=preset)


@page
def kpi_edit(request, kpi_id: int):
    kpi = rights.kpi_for_writing(request.user, kpi_id)
    narrowed_only = not access.can(request.user, KPI, kpi.product.portfolio_id)
    form = KPIForm(
        request.POST or None, product=kpi.product, narrowed_only=narrowed_only, initial=KPIForm.initial_for(kpi)
    )

    def save(data):
        headline_change = "headline" in data and data["headline"] != kpi.headline
        rights.require_kpi_write(request.user, kpi.product.portfolio_id, data, headline_change=headline_change)
        return services.kpi_save(kpi=kpi, actor=request.user, **data)

    if save_with(request, form, save):
        messages.success(request, "KPI saved.")
        return redirect("kpi-page", kpi_id=kpi.id)
    return _kpi_form_page(request, kpi.product, form, kpi=kpi)


@page
def kpi_delete(request, kpi_id: int):
    kpi = rights.kpi_for_writing(request.user, kpi_id)
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
    if request.method == "POST":
        kpi = rights.kpi_for_measuring(request.user, kpi_id)
    else:
        kpi = kpi_for_user(request.user, kpi_id)
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
        can_measure=rights.can_measure_kpi(request.user, kpi),
        # A marketer measures a launch's or a campaign's KPI: not a read-only page for them.
        read_only=not rights.can_measure_kpi(request.user, kpi),
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
    measurement = _measurement_to_change(request.user, measurement_id)
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
    measurement = _measurement_to_change(request.user, measurement_id)
    services.measurement_delete(measurement_id=measurement.id, actor=request.user)
    messages.success(request, "Measurement deleted; its period is being recomputed.")
    return redirect("kpi-measurements", kpi_id=measurement.kpi_id)


def _measurement_to_change(user, measurement_id):
    """The measurement to correct or delete: its KPI's measure right decides (a marketer's for a launch's or a
    campaign's KPI); NotFound for missing or foreign, NotAllowed for a role that may not."""
    measurement = measurement_for_user(user, measurement_id)
    rights.require_kpi_measure(user, [measurement.kpi])
    return measurement
