"""The stage gate criterion kpis owns: a KPI with a target says what success looks like."""

from kpis.models import KPI
from products.gates import CriterionType, fact, register_criterion_type


def _kpi_with_target(product, params: dict, to_stage: str) -> str | None:
    if not fact(product, "kpi_with_target", lambda: KPI.objects.filter(product=product, target__isnull=False).exists()):
        return "No KPI with a target says what success looks like after launch."
    return None


register_criterion_type(
    CriterionType(
        key="kpi_with_target",
        label="A KPI with a target",
        check=_kpi_with_target,
        describe=lambda params: "A KPI of the product has a target",
        order=70,
    )
)
