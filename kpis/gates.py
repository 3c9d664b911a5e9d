"""Stage gates kpis contributes: a product going to market needs a KPI with a target."""

from products.lifecycle import register_gate
from products.models import Stage


def _measured(product, to_stage: str) -> str | None:
    if Stage.order(to_stage) < Stage.order(Stage.LAUNCH) or to_stage == Stage.RETIRED:
        return None
    from kpis.models import KPI

    if not KPI.objects.filter(product=product, target__isnull=False).exists():
        return "No KPI with a target says what success looks like after launch."
    return None


register_gate("measured", _measured)
