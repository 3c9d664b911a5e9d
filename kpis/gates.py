"""Stage gates kpis contributes: a product going to market needs a KPI with a target."""

from products.lifecycle import register_gate
from products.models import Stage


def _measured(product, to_stage: str) -> str | None:
    if Stage.order(to_stage) < Stage.order(Stage.LAUNCH) or to_stage == Stage.RETIRED:
        return None
    from kpis.models import KPI

    # Asked once per stage when a page previews every gate: remembered on this product instance
    # (the transition service checks a freshly locked instance, so a move never sees a stale answer).
    if not hasattr(product, "_has_kpi_with_target"):
        product._has_kpi_with_target = KPI.objects.filter(product=product, target__isnull=False).exists()
    if not product._has_kpi_with_target:
        return "No KPI with a target says what success looks like after launch."
    return None


register_gate("measured", _measured)
