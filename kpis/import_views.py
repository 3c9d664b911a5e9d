"""Pages of CSV imports: a portfolio's import history with its upload form, and one import's progress
and error report (the progress bar follows GET /api/v1/imports/{id}/ while the worker runs)."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from kpis import imports, services
from kpis.forms import PortfolioImportForm
from kpis.models import KPI, Import
from kpis.selectors import import_for_user
from pmflow import access
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user

HISTORY_PAGE = 25
SHOWN_ERRORS = 100  # on the page; the API lists up to 1,000


@page
def portfolio_imports(request, portfolio_id: int):
    """The portfolio's imports, newest first, and (for those who may) a form to upload a file."""
    portfolio = portfolio_for_user(request.user, portfolio_id)
    can_import = access.can(request.user, KPI, portfolio.id, "measure")
    form = PortfolioImportForm()
    file_errors: list[str] = []
    status = 200
    if request.method == "POST":
        access.require(request.user, KPI, portfolio.id, "measure")
        form = PortfolioImportForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = services.import_create(
                    portfolio=portfolio,
                    content=file.read(imports.max_bytes() + 1),
                    filename=file.name or "",
                    actor=request.user,
                    source="page",
                )
            except imports.ImportRefused as exc:
                file_errors = [error["message"] for error in exc.errors]
            else:
                return redirect("import-page", import_id=upload.id)
        status = 400
    # A product that has KPIs, for the example (none: the page says to add them first).
    example = KPI.objects.filter(product__portfolio=portfolio).values_list("product__name", flat=True).first()
    history = Paginator(
        services.imports_for_portfolio(portfolio.id).select_related("kpi__product"), HISTORY_PAGE
    ).get_page(request.GET.get("page"))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Imports", None)],
        section="imports",
        form=form,
        file_errors=file_errors,
        history=history,
        can_import=can_import,
        max_mb=f"{imports.max_bytes() / 1024 / 1024:g}",
        example_product=example,
    )
    return render(request, "kpis/imports.html", context, status=status)


@page
def import_page(request, import_id: int):
    upload = import_for_user(request.user, import_id)
    portfolio = upload.portfolio
    if upload.kpi_id:  # a KPI's import sits under its product and its measurements
        crumbs = [
            (upload.kpi.product.name, reverse("product-page", args=[upload.kpi.product_id])),
            (upload.kpi.name, reverse("kpi-measurements", args=[upload.kpi_id])),
            (f"Import {upload.id}", None),
        ]
    else:
        crumbs = [("Imports", reverse("portfolio-imports", args=[portfolio.id])), (f"Import {upload.id}", None)]
    finished = upload.status in (Import.Status.DONE, Import.Status.FAILED)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="imports",
        upload=upload,
        finished=finished,
        errors=upload.errors[:SHOWN_ERRORS],
        error_count=len(upload.errors),
        can_import=access.can(request.user, KPI, portfolio.id, "measure"),
        api_url=reverse("import-detail", kwargs={"pk": upload.id}),
    )
    return render(request, "kpis/import_detail.html", context)
