"""The demo portfolio's stage gates: the defaults, two stricter gates, and a refusal overridden with a reason.

- Research → Planning also asks for a goal (“we plan against a goal”);
- Development → Launch also asks for a ready launch plan and at least 3 roadmap items;
- Huddle (in Research, no goal yet) is moved to Planning by the product manager: the gate refuses it, and
  she overrides with a reason, so Huddle's stage history shows the override and what was unmet.

Written through the services (products.services.gates, product_transition), as an admin and a product
manager would. `seed_gates` writes nothing once the portfolio's Development gate asks for a ready launch
plan (its own data), and leaves out Huddle's move when Huddle is missing or no longer in Research.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from products import gates
from products.models import Membership, Portfolio, Product, Role, Stage, StageGate
from products.services import gates as gate_services
from products.services.stages import product_transition

RESEARCH_GATE = [
    {"type": "one_stage_forward"},
    {"type": "has_description"},
    {"type": "has_goal"},
]
DEVELOPMENT_GATE = [
    {"type": "one_stage_forward"},
    {"type": "has_description"},
    {"type": "has_roadmap_items", "params": {"min": 3}},
    {"type": "launch_plan_ready"},
    {"type": "kpi_with_target"},
]
OVERRIDDEN = "Huddle"
OVERRIDE_REASON = (
    "The pilot with three remote teams starts next month and needs a plan now. The goal follows from the "
    "interview readout this week; the research gate's goal criterion is overridden until then."
)


def _seeded(portfolio: Portfolio) -> bool:
    gate = StageGate.objects.filter(portfolio=portfolio, stage=Stage.DEVELOPMENT).first()
    return gate is not None and any(c["type"] == "launch_plan_ready" for c in gate.criteria)


def _product_manager(portfolio: Portfolio, actor):
    membership = (
        Membership.objects.filter(portfolio=portfolio, role=Role.PRODUCT_MANAGER).select_related("user").first()
    )
    return membership.user if membership else actor


def seed_gates(*, portfolio: Portfolio, actor, today: date) -> dict[str, int]:
    """The demo's gates and one overridden refusal. Returns counts of what it wrote ({} when it had run)."""
    if _seeded(portfolio):
        return {}
    counts = {"gates": 0, "overrides": 0}
    with transaction.atomic():
        # Portfolios made before gates were rows (an older demo database): the defaults, written out.
        have = set(StageGate.objects.filter(portfolio=portfolio).values_list("stage", flat=True))
        stricter = {Stage.RESEARCH: RESEARCH_GATE, Stage.DEVELOPMENT: DEVELOPMENT_GATE}
        for stage in Stage.values:
            if stage in stricter or stage not in have:
                criteria = stricter.get(stage) or gates.default_criteria(stage)
                gate_services.stage_gate_set(portfolio=portfolio, stage=stage, criteria=criteria, actor=actor)
                counts["gates"] += 1
        product = Product.objects.filter(portfolio=portfolio, name=OVERRIDDEN, stage=Stage.RESEARCH).first()
        if product is not None and gates.gate_unmet(product, Stage.PLANNING):
            # A few days ago, and never before the move that brought it into Research.
            now = timezone.now()
            at = max(now - timedelta(days=3), min(now, product.stage_changed_at + timedelta(minutes=1)))
            product_transition(
                product_id=product.id,
                to_stage=Stage.PLANNING,
                reason=OVERRIDE_REASON,
                actor=_product_manager(portfolio, actor),
                expected_stage=Stage.RESEARCH,
                override=True,
                at=at,
            )
            counts["overrides"] += 1
    return counts
