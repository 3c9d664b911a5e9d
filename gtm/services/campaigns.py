"""Campaigns: plan them, record their spend, change them, delete them.

Spend above budget is allowed (it happens; the pages flag it). Dates, money and links are checked here,
each refusal on its field (InvalidInput), nothing written: the end on or after the start, both between
the years 1900 and 2200; budget and spend zero or more with at most two decimal places; the launch plan
of the same product; the segment of the product's portfolio; the owner a member of it.

Lock order: product → its campaign (as every child of a product).
"""

from django.db import transaction

from gtm.models import Campaign, LaunchPlan
from gtm.services import rules
from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Product

# The fields a person sets; `product` never changes.
CAMPAIGN_FIELDS = (
    "launch_plan",
    "name",
    "description",
    "channel",
    "segment",
    "owner",
    "start_date",
    "end_date",
    "budget",
    "spend",
    "status",
)
CHANNELS = [c.value for c in Campaign.Channel]
STATUSES = [s.value for s in Campaign.Status]
END_MESSAGE = "On or after the start date."


def _clean(fields: dict, product: Product, campaign: Campaign | None = None) -> dict:
    errors: dict = {}
    rules.text(fields, "name", errors, required="Give the campaign a name, e.g. “Spring webinar series”.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.choice(fields, "channel", CHANNELS, errors)
    rules.choice(fields, "status", STATUSES, errors)
    for name in ("start_date", "end_date"):
        if name in fields and fields[name] is None:
            errors[name] = "Give the campaign a start date." if name == "start_date" else "Give it an end date."
    rules.dates(fields, ("start_date", "end_date"), errors)
    start = fields.get("start_date", getattr(campaign, "start_date", None))
    end = fields.get("end_date", getattr(campaign, "end_date", None))
    if "start_date" not in errors:
        rules.ordered(start, end, errors, end_name="end_date", message=END_MESSAGE)
    rules.money(fields, "budget", errors)
    rules.money(fields, "spend", errors)
    rules.same_product(fields, "launch_plan", product.id, errors, what="a launch plan")
    rules.same_portfolio(fields, "segment", product.portfolio_id, errors, what="a segment")
    rules.member(fields, "owner", product.portfolio_id, errors)
    if errors:
        raise InvalidInput(fields=errors)
    return fields


def _unknown(fields: dict) -> None:
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"not campaign fields: {sorted(unknown)}")


def _locked(campaign_id: int) -> Campaign:
    """The campaign under its row lock, its product's taken first (the documented lock order)."""
    product_id = Campaign.objects.filter(pk=campaign_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound()
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .filter(pk=campaign_id)
        .select_related("product", "product__portfolio")
        .first()
    )
    if campaign is None:
        raise NotFound()
    return campaign


def campaign_create(*, product: Product, actor=None, **fields) -> Campaign:
    """Plan a campaign of `product`. Raises InvalidInput (every bad field at once) and writes nothing then."""
    _unknown(fields)
    fields = dict(fields)
    for name in ("name", "start_date", "end_date"):
        fields.setdefault(name, None if name != "name" else "")
    fields = _clean(fields, product)
    with transaction.atomic():
        list(Product.objects.select_for_update().filter(pk=product.pk).values_list("pk"))
        campaign = Campaign.objects.create(product=product, **fields)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="campaign.created",
            obj=campaign,
            changes={
                "name": [None, campaign.name],
                "start_date": [None, campaign.start_date],
                "end_date": [None, campaign.end_date],
                "budget": [None, campaign.budget],
                "spend": [None, campaign.spend],
                "status": [None, campaign.status],
            },
            data={"product": product.id, "launch_plan": campaign.launch_plan_id},
        )
    return campaign


def campaign_update(*, campaign_id: int, actor=None, **fields) -> Campaign:
    """Change a campaign (recording this week's spend is `campaign_update(campaign_id=…, spend=…)`).
    Raises InvalidInput on the fields, NotFound when it is gone; nothing written on a refusal."""
    _unknown(fields)
    with transaction.atomic():
        campaign = _locked(campaign_id)
        fields = _clean(dict(fields), campaign.product, campaign)
        events.save_changes(
            campaign,
            fields,
            portfolio_id=campaign.product.portfolio_id,
            actor=actor,
            verb="campaign.updated",
            data=lambda c: {
                "product": c.product_id,
                "launch_plan": c.launch_plan_id,
                "over_budget": c.spend > c.budget,
            },
        )
    return campaign


def campaign_delete(*, campaign_id: int, actor=None) -> str:
    """Delete a campaign; KPIs narrowed to it stay with its product. Returns its name."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        events.record(
            portfolio_id=campaign.product.portfolio_id,
            actor=actor,
            verb="campaign.deleted",
            obj=campaign,
            data={
                "product": campaign.product_id,
                "launch_plan": campaign.launch_plan_id,
                "budget": str(campaign.budget),
                "spend": str(campaign.spend),
            },
        )
        name = campaign.name
        campaign.delete()
    return name


def launch_plans_of(product: Product):
    """The launch plans a campaign of `product` may belong to (the form's choices)."""
    return LaunchPlan.objects.filter(product=product).order_by("-launch_date", "name")
