"""The roadmap's timeline (a Gantt-like chart by month) and its value/effort matrix, for a portfolio or
one of its products (`?product=`). Both are GET pages: a filter form, a server-drawn SVG chart, the
same numbers as a table, and a CSV of them (`&format=csv`). Layout and drawing: roadmap/timeline.py
and roadmap/matrix.py.
"""

from django import forms
from django.shortcuts import render
from django.urls import path, reverse

from pmflow import access
from pmflow.errors import NotFound
from pmflow.forms import csv_download
from products.models import Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user, product_for_user
from roadmap import matrix as value_effort
from roadmap import timeline as layout
from roadmap.models import Release, RoadmapDependency, RoadmapItem
from roadmap.page_tools import product_list_url, today_in
from roadmap.selectors import roadmap_items

OPEN_STATUSES = ["proposed", "planned", "in_progress"]


class _Filter(forms.Form):
    """The filters both pages share: a product of the portfolio and the kinds of item."""

    product = forms.ChoiceField(required=False, label="Product")
    kind = forms.MultipleChoiceField(
        required=False, label="Kinds", choices=RoadmapItem.Kind.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, data, *, products, **kwargs):
        super().__init__(data, label_suffix="", **kwargs)
        self.fields["product"].choices = [("", "All products"), *((p.pk, p.name) for p in products)]


class TimelineFilter(_Filter):
    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        month = {"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}
        self.fields["from"] = forms.CharField(
            required=False, label="From month", widget=forms.TextInput(attrs=month), max_length=7
        )
        self.fields["to"] = forms.CharField(
            required=False, label="To month", widget=forms.TextInput(attrs=month), max_length=7
        )
        self.order_fields(["product", "from", "to", "kind"])

    def clean(self):
        data = super().clean()
        for name in ("from", "to"):
            text = data.get(name) or ""
            data[name] = layout.parse_month(text) if text else None
            if text and data[name] is None:
                self.add_error(name, "Enter a month as YYYY-MM, e.g. 2026-03.")
        first, last = data.get("from"), data.get("to")
        if first and last:
            if last < first:
                self.add_error("to", "The last month cannot be before the first.")
            elif layout.months_between(first, last) + 1 > layout.MAX_SPAN:
                self.add_error("to", f"Show at most {layout.MAX_SPAN} months at a time.")
        return data


class MatrixFilter(_Filter):
    status = forms.MultipleChoiceField(
        required=False,
        label="Statuses",
        choices=RoadmapItem.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Without a choice: the open ones (done and dropped hidden).",
    )


def _scope(request, portfolio_id: int):
    """The portfolio, the product asked for (a product of another portfolio is a 404) and the products
    the filter offers."""
    portfolio = portfolio_for_user(request.user, portfolio_id)
    product = None
    if request.GET.get("product"):
        product = product_for_user(request.user, request.GET["product"])
        if product.portfolio_id != portfolio.id:
            raise NotFound()
    products = list(Product.objects.filter(portfolio=portfolio, archived_at__isnull=True).order_by("name", "id"))
    if product is not None and product.pk not in {p.pk for p in products}:
        products.append(product)  # an archived product asked for by its id
    return portfolio, product, products


def _in_scope(queryset, portfolio, product, path: str = "product"):
    if product is not None:
        return queryset.filter(**{path: product})
    return queryset.filter(**{f"{path}__portfolio": portfolio, f"{path}__archived_at__isnull": True})


def _crumbs(portfolio, product, label: str) -> list:
    crumbs = [("Roadmap", reverse("portfolio-roadmap", args=[portfolio.id]))]
    if product is not None:
        crumbs.append((product.name, reverse("product-roadmap", args=[product.id])))
    return [*crumbs, (label, None)]


def _with_defaults(request, **defaults):
    """The GET data with each multiple choice left empty set to its default, so the form's boxes show
    what the page shows (a form sent with every box cleared gets the default too)."""
    data = request.GET.copy()
    for name, values in defaults.items():
        if not data.getlist(name):
            data.setlist(name, list(values))
    return data


def _narrowing(chosen, every) -> list[str]:
    """The kinds chosen, or [] when they are all of them (no filter needed)."""
    return [] if not chosen or set(chosen) >= set(every) else list(chosen)


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- the timeline ------------------------------------------------------------------------------------


@page
def timeline(request, portfolio_id: int):
    portfolio, product, products = _scope(request, portfolio_id)
    form = TimelineFilter(_with_defaults(request, kind=RoadmapItem.Kind.values), products=products)
    valid = form.is_valid()
    wanted = form.cleaned_data
    kinds = _narrowing(wanted.get("kind"), RoadmapItem.Kind.values)
    today = today_in(portfolio)

    items = _in_scope(RoadmapItem.objects.select_related("product", "release"), portfolio, product)
    if kinds:
        items = items.filter(kind__in=kinds)
    # The edges of these items in one query, whatever their number (a subquery, not a list of ids).
    edges = (
        RoadmapDependency.objects.filter(item__in=items.values("pk"))
        .select_related("depends_on__release", "depends_on__product")
        .order_by("id")
    )
    items = list(items.order_by("product__name", "product_id", "id"))
    releases = list(
        _in_scope(Release.objects.select_related("product"), portfolio, product)
        .filter(target_date__isnull=False)
        .order_by("target_date", "version", "id")
    )
    for release in releases:
        release.url = reverse("release-page", args=[release.id])
    shown_products = [product] if product else products
    # A range with a mistake in it is not used: the page shows the default one beside the error.
    chosen = "from" not in form.errors and "to" not in form.errors
    chart = layout.build(
        items,
        releases,
        list(edges) if items else [],
        today=today,
        first=wanted.get("from") if chosen else None,
        last=wanted.get("to") if chosen else None,
        products=shown_products,
    )

    if request.GET.get("format") == "csv":
        return _timeline_csv(portfolio, product, chart)
    # The month boxes show the months drawn (a mistyped month stays, beside its error).
    for name, month in (("from", chart.axis.first), ("to", chart.axis.last)):
        if not form.data.get(name):
            form.data[name] = f"{month:%Y-%m}"

    any_items = bool(items) or (kinds and _in_scope(RoadmapItem.objects.all(), portfolio, product).exists())
    title = f"Timeline · {product.name}" if product else "Timeline"
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio, product, "Timeline"),
        section="roadmap",
        tab="timeline",
        product=product,
        title=title,
        form=form,
        chart=chart,
        svg=layout.svg(chart, label=f"Roadmap timeline of {product.name if product else portfolio.name}, by month")
        if chart.rows
        else "",
        any_items=any_items,
        filtered=bool(kinds or request.GET.get("from") or request.GET.get("to")),
        first_label=f"{chart.axis.first:%b %Y}",
        last_label=f"{chart.axis.last:%b %Y}",
        statuses=list(layout.STATUS_LABELS.items()),
        can_edit=access.can(request.user, RoadmapItem, portfolio.id),
        csv_query=_query_without(request, "format"),
        clear_url=product_list_url("roadmap-timeline", portfolio.id, product.id if product else None),
    )
    return render(request, "roadmap/timeline.html", context, status=200 if valid else 400)


def _timeline_csv(portfolio, product, chart):
    rows = []
    for row in chart.item_rows:
        item, span = row.item, row.span
        rows.append(
            (
                item.id,
                item.title,
                item.kind,
                item.product.name,
                item.parent_id,
                item.status,
                span.start.isoformat() if span else None,
                span.end.isoformat() if span else None,
                "yes" if span and span.estimated else "",
                item.release.version if item.release else None,
                " ".join(str(d.item.id) for d in row.depends_on),
                " ".join(str(d.item.id) for d in row.depends_on if d.warn),
            )
        )
    name = f"timeline-{portfolio.id}" + (f"-product-{product.id}" if product else "")
    header = [
        "id",
        "title",
        "kind",
        "product",
        "parent",
        "status",
        "start",
        "end",
        "estimated",
        "release",
        "depends_on",
        "starts_before",
    ]
    return csv_download(name, header, rows)


# --- the value/effort matrix -------------------------------------------------------------------------


@page
def matrix(request, portfolio_id: int):
    portfolio, product, products = _scope(request, portfolio_id)
    form = MatrixFilter(_with_defaults(request, kind=RoadmapItem.Kind.values, status=OPEN_STATUSES), products=products)
    valid = form.is_valid()
    wanted = form.cleaned_data
    kinds = _narrowing(wanted.get("kind"), RoadmapItem.Kind.values)
    statuses = wanted.get("status") or OPEN_STATUSES

    queryset = _in_scope(RoadmapItem.objects.all(), portfolio, product).filter(status__in=statuses)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    # The scores and joins of the items table, without its prefetched link lists (not shown here).
    items = list(roadmap_items(queryset).prefetch_related(None))
    for item in items:
        item.url = reverse("roadmap-item-page", args=[item.id])
    chart = value_effort.build(items)

    if request.GET.get("format") == "csv":
        name = f"value-effort-{portfolio.id}" + (f"-product-{product.id}" if product else "")
        return csv_download(
            name,
            ["number", "id", "title", "kind", "product", "status", "value", "effort", "value_effort", "quadrant"],
            [
                (
                    p.number,
                    p.item.id,
                    p.item.title,
                    p.item.kind,
                    p.item.product.name,
                    p.item.status,
                    p.value,
                    p.effort,
                    round(p.ratio, 4),
                    value_effort.QUADRANT_LABELS[p.quadrant],
                )
                for p in chart.points
            ]
            + [
                (None, i.id, i.title, i.kind, i.product.name, i.status, i.value, i.effort, None, "not plotted")
                for i in chart.not_plotted
            ],
        )

    name = product.name if product else portfolio.name
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio, product, "Value / effort"),
        section="roadmap",
        tab="matrix",
        product=product,
        title=f"Value / effort · {product.name}" if product else "Value / effort",
        form=form,
        chart=chart,
        svg=value_effort.svg(chart, label=f"Value against effort of the roadmap items of {name}"),
        default_statuses="status" not in request.GET,
        filtered=bool(kinds or "status" in request.GET),
        can_edit=access.can(request.user, RoadmapItem, portfolio.id),
        csv_query=_query_without(request, "format"),
        clear_url=product_list_url("roadmap-matrix", portfolio.id, product.id if product else None),
    )
    return render(request, "roadmap/matrix.html", context, status=200 if valid else 400)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/roadmap/timeline/", timeline, name="roadmap-timeline"),
    path("portfolios/<int:portfolio_id>/roadmap/matrix/", matrix, name="roadmap-matrix"),
]
