"""Who may write a KPI and its measurements: the one rule that depends on the KPI itself, not only its kind.

A KPI narrowed to a launch plan or a campaign is go-to-market data: marketers write it and its
measurements (API-CONTRACT.md "Everywhere"). A product-level KPI stays with admins and product
managers. The roles are in the access registry (kpis/apps.py: `write`/`measure` for product-level
KPIs, `write_gtm`/`measure_gtm` for narrowed ones); these functions pick the action for a KPI, for the
fields a request is about to give it, or for a batch, so pages and API ask the same question.
"""

from collections.abc import Iterable, Mapping

from kpis.models import KPI
from pmflow import access
from pmflow.errors import NotAllowed

WRITE = access.WRITE
MEASURE = "measure"
WRITE_GTM = "write_gtm"
MEASURE_GTM = "measure_gtm"

NARROWING = ("launch_plan", "campaign")
PRODUCT_LEVEL_REFUSED = (
    "Only an admin or a product manager writes a product's own KPIs: give the KPI a launch plan or a campaign."
)
HEADLINE_REFUSED = "Only an admin or a product manager picks the product's headline KPI."
PRODUCT_LEVEL_MEASURE = "only an admin or a product manager adds or changes its values."


def _named(value) -> bool:
    return value not in (None, "", False, 0, [], {})


def is_narrowed(kpi_or_fields) -> bool:
    """Does the KPI (or the fields it is about to have) name a launch plan or a campaign?

    A mapping is read as a request body or a form's data: `launch_plan`/`campaign` (or their `_id`),
    any non-empty value counting (a bad id is the serializer's 400, not a reason to refuse early).
    """
    if isinstance(kpi_or_fields, Mapping):
        return any(_named(kpi_or_fields.get(name)) or _named(kpi_or_fields.get(f"{name}_id")) for name in NARROWING)
    return bool(kpi_or_fields.launch_plan_id or kpi_or_fields.campaign_id)


def kpi_write_action(kpi_or_fields) -> str:
    """The access action that writing this KPI (create, edit, delete) needs."""
    return WRITE_GTM if is_narrowed(kpi_or_fields) else WRITE


def kpi_measure_action(kpi) -> str:
    """The access action that writing this KPI's measurements (add, import, correct, delete) needs."""
    return MEASURE_GTM if is_narrowed(kpi) else MEASURE


def can_write_kpi(user, portfolio_id: int, kpi_or_fields) -> bool:
    return access.can(user, KPI, portfolio_id, kpi_write_action(kpi_or_fields))


def can_measure_kpi(user, kpi) -> bool:
    return access.can(user, KPI, kpi.product.portfolio_id, kpi_measure_action(kpi))


def can_write_some_kpi(user, portfolio_id: int) -> bool:
    """May the user write any KPI of the portfolio (a product-level one, or at least a narrowed one)?"""
    return access.can(user, KPI, portfolio_id, WRITE_GTM) or access.can(user, KPI, portfolio_id, WRITE)


def require_kpi_write(user, portfolio_id: int, kpi_or_fields, *, headline_change: bool = False) -> None:
    """NotFound for a non-member, NotAllowed (403) when the role may not write this KPI (or a KPI with these
    fields). `headline_change`: the write makes the KPI the product's headline or takes the flag from it,
    which changes the product's card (and its other KPIs): a product-level write."""
    action = kpi_write_action(kpi_or_fields)
    if action == WRITE and _gtm_only(user, portfolio_id, WRITE, WRITE_GTM):
        raise NotAllowed(PRODUCT_LEVEL_REFUSED)
    access.require(user, KPI, portfolio_id, action)
    if headline_change and not access.can(user, KPI, portfolio_id, WRITE):
        raise NotAllowed(HEADLINE_REFUSED)


def _gtm_only(user, portfolio_id: int, action: str, gtm_action: str) -> bool:
    """A role (a marketer's) that may do `gtm_action` but not `action`: told what it may do instead."""
    return not access.can(user, KPI, portfolio_id, action) and access.can(user, KPI, portfolio_id, gtm_action)


def require_kpi_measure(user, kpis: Iterable[KPI]) -> None:
    """NotAllowed (403) unless the user may write the measurements of every one of `kpis` (each with its
    product loaded); checked per KPI, since a marketer may measure a campaign's KPI but not the product's."""
    for kpi in sorted(kpis, key=lambda k: k.id):
        action = kpi_measure_action(kpi)
        if action == MEASURE and _gtm_only(user, kpi.product.portfolio_id, MEASURE, MEASURE_GTM):
            raise NotAllowed(f"KPI {kpi.id} is a product's own KPI: {PRODUCT_LEVEL_MEASURE}")
        access.require(user, KPI, kpi.product.portfolio_id, action)


def may_measure_somewhere(user) -> bool:
    """Any portfolio where the user may write some KPI's measurements (the early check of a batch)."""
    return any(
        access.can(user, KPI, pid, MEASURE) or access.can(user, KPI, pid, MEASURE_GTM)
        for pid in access.roles_by_portfolio(user)
    )


def may_write_somewhere(user, kpi_or_fields) -> bool:
    action = kpi_write_action(kpi_or_fields)
    return any(access.can(user, KPI, pid, action) for pid in access.roles_by_portfolio(user))


def kpi_for_writing(user, kpi_id) -> KPI:
    """The KPI to edit or delete: NotFound for missing or foreign, NotAllowed for a role that may not write it."""
    from kpis.selectors import kpi_for_user

    kpi = kpi_for_user(user, kpi_id)
    require_kpi_write(user, kpi.product.portfolio_id, kpi)
    return kpi


def kpi_for_measuring(user, kpi_id) -> KPI:
    """The KPI whose measurements the user is about to write (NotFound / NotAllowed as kpi_for_writing)."""
    from kpis.selectors import kpi_for_user

    kpi = kpi_for_user(user, kpi_id)
    require_kpi_measure(user, [kpi])
    return kpi
