"""Every write to portfolios, members, product lines, products, stages and lifecycle rules.

A package by subject (as Zulip splits `actions/`); callers import from here. Each service runs in one
transaction, takes locks in the documented order (portfolio → product → the product's children) and
records a domain event (`products.events.record`) for every change it makes.
"""

from products.services.catalog import (
    product_archive,
    product_create,
    product_delete,
    product_delete_impact,
    product_line_delete,
    product_line_save,
    product_update,
)
from products.services.portfolios import membership_remove, membership_set, portfolio_create, portfolio_update
from products.services.rules import (
    lifecycle_rule_clean,
    lifecycle_rule_delete,
    lifecycle_rule_enqueue,
    lifecycle_rule_products_evaluate,
    lifecycle_rule_save,
    lifecycle_rules_evaluate,
    lifecycle_rules_evaluate_all,
    lifecycle_rules_evaluate_products,
)
from products.services.stages import GateNotMet, StaleStage, product_transition

__all__ = [
    "GateNotMet",
    "StaleStage",
    "lifecycle_rule_clean",
    "lifecycle_rule_delete",
    "lifecycle_rule_enqueue",
    "lifecycle_rule_products_evaluate",
    "lifecycle_rule_save",
    "lifecycle_rules_evaluate",
    "lifecycle_rules_evaluate_all",
    "lifecycle_rules_evaluate_products",
    "membership_remove",
    "membership_set",
    "portfolio_create",
    "portfolio_update",
    "product_archive",
    "product_create",
    "product_delete",
    "product_delete_impact",
    "product_line_delete",
    "product_line_save",
    "product_transition",
    "product_update",
]
