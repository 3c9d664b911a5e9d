"""Which KPI measures a key result (the link lives on the KPI: `KPI.key_result`, read `key_result.kpi`).

- The KPI is of the key result's portfolio (of any of its products: a portfolio-wide KPI may measure a
  product's goal).
- A KPI measures one key result at most: setting a KPI that already measures another one is refused
  (InvalidInput on `kpi`, naming it); it is never taken away silently.
- Setting a KPI moves the link: the KPI that measured the key result before measures nothing after.

These wrap products.services.goals: the key result's fields and its KPI change in one transaction with
one `key_result.created` / `key_result.updated` event (`kpi: [old id, new id]` among its changes).
"""

from kpis.models import KPI
from pmflow.errors import InvalidInput
from products.models import Goal, KeyResult
from products.services import goals

UNCHANGED = object()  # key_result_save(kpi=UNCHANGED): leave the link as it is; None unlinks it


def _portfolio_of(key_result: KeyResult) -> int:
    return key_result.goal.product.portfolio_id


def kpi_problem(kpi: KPI | None, *, portfolio_id: int, key_result_id: int | None) -> str | None:
    """Why `kpi` cannot measure the key result (`key_result_id` None: a new one), or None."""
    if kpi is None:
        return None
    if kpi.product.portfolio_id != portfolio_id:
        return "Choose a KPI of this portfolio."
    if kpi.key_result_id is not None and kpi.key_result_id != key_result_id:
        other = KeyResult.objects.filter(pk=kpi.key_result_id).select_related("goal").first()
        if other is not None:
            return (
                f"“{kpi.name}” already measures the key result “{other.title}” (goal “{other.goal.title}”): "
                "a KPI measures one key result; unlink it there first."
            )
    return None


def _link(kpi: KPI | None):
    """The write that makes `kpi` (None: no KPI) the one measuring a locked key result, checked again
    under the KPI's row lock (two writers cannot give one KPI two key results)."""

    def link(key_result: KeyResult) -> dict:
        old = KPI.objects.select_for_update().filter(key_result=key_result).values_list("pk", flat=True).first()
        new = None
        if kpi is not None:
            locked = KPI.objects.select_for_update(of=("self",)).select_related("product").filter(pk=kpi.pk).first()
            if locked is None:
                raise InvalidInput(fields={"kpi": "This KPI no longer exists."})
            problem = kpi_problem(locked, portfolio_id=_portfolio_of(key_result), key_result_id=key_result.pk)
            if problem:
                raise InvalidInput(fields={"kpi": problem})
            new = locked.pk
        if old == new:
            return {}
        if old is not None:
            KPI.objects.filter(pk=old).update(key_result=None)
        if new is not None:
            KPI.objects.filter(pk=new).update(key_result=key_result)
        return {"kpi": [old, new]}

    return link


def _check(kpi, *, portfolio_id: int, key_result_id: int | None) -> None:
    if kpi is not UNCHANGED and (problem := kpi_problem(kpi, portfolio_id=portfolio_id, key_result_id=key_result_id)):
        raise InvalidInput(fields={"kpi": problem})


def key_result_save(
    *, goal: Goal | None = None, key_result_id: int | None = None, actor=None, kpi=UNCHANGED, **fields
) -> KeyResult:
    """Create a key result of `goal`, or change the one `key_result_id`, with the KPI that measures it
    (`kpi` a KPI, None for none, UNCHANGED to leave it).

    Raises NotFound, InvalidInput on `kpi` (another portfolio's, or measuring another key result) and as
    products.services.goals.key_result_create; nothing is written then.
    """
    if key_result_id is None:
        _check(kpi, portfolio_id=goal.product.portfolio_id, key_result_id=None)
        link = None if kpi is UNCHANGED or kpi is None else _link(kpi)
        return goals.key_result_create(goal=goal, actor=actor, link=link, **fields)
    current = KeyResult.objects.select_related("goal__product").filter(pk=key_result_id).first()
    if current is not None:  # a gone one is the service's NotFound
        _check(kpi, portfolio_id=_portfolio_of(current), key_result_id=current.pk)
    link = None if kpi is UNCHANGED else _link(kpi)
    return goals.key_result_update(key_result_id=key_result_id, actor=actor, link=link, **fields)


def key_result_measure(*, key_result_id: int, kpi: KPI | None, actor=None) -> KeyResult:
    """Make `kpi` the one measuring the key result (None: measured by hand again). One event when it
    changed. Raises NotFound, and InvalidInput on `kpi` as `key_result_save`."""
    return key_result_save(key_result_id=key_result_id, actor=actor, kpi=kpi)
