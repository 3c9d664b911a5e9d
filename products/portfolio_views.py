"""Pages for running a portfolio: settings, members and product lines."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import DomainError
from pmflow.forms import csv_download, save_with
from products import services
from products.forms import MemberInviteForm, MemberRoleForm, PortfolioForm, ProductLineForm
from products.models import Membership, Portfolio, ProductLine, Role
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import (
    membership_for_user,
    membership_list,
    portfolio_for_user,
    product_line_for_user,
    product_line_list,
)


@page
def portfolio_settings(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id, write=True)
    initial = {"name": portfolio.name, "timezone": portfolio.timezone}
    form = PortfolioForm(request.POST or None, initial=initial, browser_zone_default=False)
    zone_before = portfolio.timezone
    saved = save_with(
        request,
        form,
        lambda data: services.portfolio_update(
            portfolio_id=portfolio.id, actor=request.user, name=data["name"], timezone_name=data["timezone"]
        ),
    )
    if saved:
        note = " KPI rollups are being recomputed for the new time zone." if saved.timezone != zone_before else ""
        messages.success(request, f"Settings saved.{note}")
        return redirect("portfolio-settings", portfolio_id=portfolio.id)
    context = portfolio_context(request, portfolio, crumbs=[("Settings", None)], section="settings", form=form)
    return render(request, "products/portfolio_settings.html", context, status=400 if form.errors else 200)


@page
def portfolio_members(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id, write=request.method == "POST")
    access.require(request.user, Membership, portfolio.id)  # members are the admins' to see and manage
    members = list(membership_list(portfolio))
    if request.GET.get("format") == "csv":
        rows = [
            (
                m.user.get_username(),
                m.user.email,
                m.get_role_display(),
                m.created_at.astimezone(portfolio.zone).isoformat(),
            )
            for m in members
        ]
        return csv_download(f"members-{portfolio.id}", ["username", "email", "role", "member_since"], rows)
    form = MemberInviteForm(request.POST or None)
    membership = save_with(
        request, form, lambda data: services.membership_set(portfolio=portfolio, actor=request.user, **data)
    )
    if membership:
        role = membership.get_role_display().lower()
        messages.success(request, f"{membership.user.get_username()} is now {role} here.")
        return redirect("portfolio-members", portfolio_id=portfolio.id)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Members", None)],
        section="members",
        form=form,
        members=[(m, MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.id}")) for m in members],
        admin_count=sum(m.role == Role.ADMIN for m in members),
    )
    return render(request, "products/portfolio_members.html", context, status=400 if form.errors else 200)


@page
@require_POST
def member_role(request, membership_id: int):
    membership = membership_for_user(request.user, membership_id, write=True)
    form = MemberRoleForm(request.POST, prefix=f"m{membership.id}")
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
    else:
        try:
            services.membership_set(
                portfolio=membership.portfolio,
                username=membership.user.get_username(),
                role=form.cleaned_data["role"],
                actor=request.user,
            )
            messages.success(
                request, f"{membership.user.get_username()} is now {Role(form.cleaned_data['role']).label}."
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("portfolio-members", portfolio_id=membership.portfolio_id)


@page
@require_POST
def member_remove(request, membership_id: int):
    membership = membership_for_user(request.user, membership_id, write=True)
    try:
        services.membership_remove(membership_id=membership.id, actor=request.user)
        messages.success(request, f"{membership.user.get_username()} no longer has access to {membership.portfolio}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    access.forget_roles(request.user)
    if access.role_in(request.user, membership.portfolio_id) is None:
        return redirect("home")  # they removed themselves
    return redirect("portfolio-members", portfolio_id=membership.portfolio_id)


# --- product lines -------------------------------------------------------------------------------------


@page
def product_lines(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    lines = list(product_line_list(portfolio))
    if request.GET.get("format") == "csv":
        rows = [(line.id, line.name, line.description, line.product_count) for line in lines]
        return csv_download(f"product-lines-{portfolio.id}", ["id", "name", "description", "products"], rows)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Product lines", None)],
        section="lines",
        lines=lines,
        can_write=access.can(request.user, ProductLine, portfolio.id),
    )
    return render(request, "products/product_lines.html", context)


def _line_form_page(request, portfolio, form, *, line=None):
    title = f"Edit {line.name}" if line else "New product line"
    lines_url = reverse("product-lines", args=[portfolio.id])
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Product lines", lines_url), (title, None)],
        section="lines",
        form=form,
        title=title,
        submit_label="Save changes" if line else "Create product line",
        cancel_url=lines_url,
        delete_url=reverse("product-line-delete", args=[line.id]) if line else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def product_line_create(request):
    portfolio = portfolio_to_create_in(request, ProductLine)
    form = ProductLineForm(request.POST or None)
    if line := save_with(
        request, form, lambda data: services.product_line_save(portfolio=portfolio, actor=request.user, **data)
    ):
        messages.success(request, f"Product line “{line.name}” created.")
        return redirect("product-lines", portfolio_id=portfolio.id)
    return _line_form_page(request, portfolio, form)


@page
def product_line_edit(request, product_line_id: int):
    line = product_line_for_user(request.user, product_line_id, write=True)
    form = ProductLineForm(request.POST or None, initial={"name": line.name, "description": line.description})
    if save_with(request, form, lambda data: services.product_line_save(product_line=line, actor=request.user, **data)):
        messages.success(request, "Product line saved.")
        return redirect("product-lines", portfolio_id=line.portfolio_id)
    return _line_form_page(request, line.portfolio, form, line=line)


@page
def product_line_delete(request, product_line_id: int):
    line = product_line_for_user(request.user, product_line_id, write=True)
    if request.method == "POST":
        kept = services.product_line_delete(product_line_id=line.id, actor=request.user)
        messages.success(request, f"Product line “{line.name}” deleted; its {kept} product(s) stay, without a line.")
        return redirect("product-lines", portfolio_id=line.portfolio_id)
    count = line.products.count()
    context = portfolio_context(
        request,
        line.portfolio,
        crumbs=[("Product lines", reverse("product-lines", args=[line.portfolio_id])), (f"Delete {line.name}", None)],
        section="lines",
        title=f"Delete the product line “{line.name}”?",
        consequences=[f"Its {count} product(s) stay in the portfolio, without a product line."]
        if count
        else ["It has no products."],
        confirm_label="Delete product line",
        cancel_url=reverse("product-lines", args=[line.portfolio_id]),
    )
    return render(request, "confirm_page.html", context)


__all__ = ["Portfolio"]
