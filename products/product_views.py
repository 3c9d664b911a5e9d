"""Pages that create, change, archive and delete products (their stage moves on the product page)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pmflow.forms import save_with
from products import services
from products.forms import ProductForm
from products.models import Product
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import product_for_user


def _form_page(request, portfolio, form, *, product=None):
    title = f"Edit {product.name}" if product else "New product"
    crumbs = (
        [(product.name, reverse("product-page", args=[product.id])), ("Edit", None)] if product else [(title, None)]
    )
    cancel = (
        reverse("product-page", args=[product.id]) if product else reverse("portfolio-dashboard", args=[portfolio.id])
    )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        form=form,
        title=title,
        intro="" if product else "A new product starts in Ideation; move it through the stages from its page.",
        submit_label="Save changes" if product else "Create product",
        cancel_url=cancel,
        delete_url=reverse("product-delete", args=[product.id]) if product else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def product_create(request):
    portfolio = portfolio_to_create_in(request, Product)
    initial = {"product_line": request.GET.get("product_line")} if request.GET.get("product_line") else {}
    form = ProductForm(request.POST or None, portfolio=portfolio, initial=initial)
    if product := save_with(
        request, form, lambda data: services.product_create(portfolio=portfolio, actor=request.user, **data)
    ):
        messages.success(request, f"“{product.name}” created in Ideation. Next: give it a KPI with a target.")
        return redirect("product-page", product_id=product.id)
    return _form_page(request, portfolio, form)


@page
def product_edit(request, product_id: int):
    product = product_for_user(request.user, product_id, write=True)
    initial = {"name": product.name, "description": product.description, "product_line": product.product_line_id}
    form = ProductForm(request.POST or None, portfolio=product.portfolio, initial=initial)
    if save_with(
        request, form, lambda data: services.product_update(product_id=product.id, actor=request.user, **data)
    ):
        messages.success(request, "Product saved.")
        return redirect("product-page", product_id=product.id)
    return _form_page(request, product.portfolio, form, product=product)


@page
@require_POST
def product_archive(request, product_id: int):
    product = product_for_user(request.user, product_id, write=True)
    archived = request.POST.get("archived", "true") != "false"
    services.product_archive(product_id=product.id, actor=request.user, archived=archived)
    if archived:
        messages.success(request, f"“{product.name}” is archived: off the board, its data kept. Restore it any time.")
    else:
        messages.success(request, f"“{product.name}” is back on the board.")
    return redirect("product-page", product_id=product.id)


@page
def product_delete(request, product_id: int):
    product = product_for_user(request.user, product_id, write=True)
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != product.name:
            messages.error(request, "Type the product's name exactly to delete it.")
            return redirect("product-delete", product_id=product.id)
        name = services.product_delete(product_id=product.id, actor=request.user)
        messages.success(request, f"“{name}” and everything recorded about it were deleted.")
        return redirect("portfolio-dashboard", portfolio_id=product.portfolio_id)
    impact = services.product_delete_impact(product)
    context = portfolio_context(
        request,
        product.portfolio,
        crumbs=[(product.name, reverse("product-page", args=[product.id])), ("Delete", None)],
        title=f"Delete “{product.name}”?",
        consequences=[f"{count:,} {label}" for label, count in impact] or ["Nothing else is recorded about it."],
        consequence_intro="This cannot be undone. Deleted with it:",
        alternative="Archiving takes it off the board and keeps its history and KPIs.",
        archive_url=reverse("product-archive", args=[product.id]),
        confirm_name=product.name,
        confirm_label="Delete product for good",
        cancel_url=reverse("product-page", args=[product.id]),
    )
    return render(request, "confirm_page.html", context)
