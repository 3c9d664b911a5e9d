"""The one access policy registry: who may read and write which model, for pages and API alike.

Each app registers its own models from its `AppConfig.ready()`: the path from the model to its
portfolio and the roles that may write it (and, where a model has actions with their own rule, the
roles for each action). One lookup, `object_for_user`, answers every page and API request with the
same `NotFound` for "missing" and "not yours", and `NotAllowed` for a role that may only read.

Reads are open to every member of the portfolio. Roles are plain strings here (`products.models.Role`
owns their names), so this module knows no app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import F, Model, QuerySet

from pmflow.errors import NotAllowed, NotFound

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class Policy:
    """`portfolio` is the ORM path from the model to its portfolio's id ("pk" for Portfolio itself)."""

    model: type[Model]
    portfolio: str
    write: frozenset[str]
    actions: dict[str, frozenset[str]] = field(default_factory=dict)

    def roles_for(self, action: str) -> frozenset[str] | None:
        """Roles allowed to perform `action`; None means every member (reads)."""
        if action == READ:
            return None
        if action == WRITE:
            return self.write
        if action not in self.actions:
            raise KeyError(f"{self.model.__name__} has no action “{action}” in its access policy")
        return self.actions[action]


class PolicyRegistry:
    def __init__(self):
        self._by_model: dict[type[Model], Policy] = {}

    def register(
        self,
        model: type[Model],
        *,
        portfolio: str,
        write: Iterable[str],
        actions: dict[str, Iterable[str]] | None = None,
    ) -> None:
        self._by_model[model] = Policy(
            model=model,
            portfolio=portfolio,
            write=frozenset(write),
            actions={name: frozenset(roles) for name, roles in (actions or {}).items()},
        )

    def of(self, model: type[Model]) -> Policy:
        try:
            return self._by_model[model]
        except KeyError:
            raise LookupError(f"{model.__name__} has no access policy: register it in its app's ready()") from None

    def __contains__(self, model) -> bool:
        return model in self._by_model

    def models(self) -> list[type[Model]]:
        return list(self._by_model)


policies = PolicyRegistry()


# --- who is a member where ---------------------------------------------------------------------------


def roles_by_portfolio(user) -> dict[int, str]:
    """{portfolio_id: role} for the user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_pmflow_roles", None)
    if cached is None:
        membership = apps.get_model("products", "Membership")
        cached = dict(membership.objects.filter(user=user).values_list("portfolio_id", "role"))
        user._pmflow_roles = cached
    return cached


def forget_roles(user) -> None:
    """Drop the cached roles (after the user's memberships changed within one request)."""
    if hasattr(user, "_pmflow_roles"):
        del user._pmflow_roles


def role_in(user, portfolio_id: int | None) -> str | None:
    return roles_by_portfolio(user).get(portfolio_id)


def can(user, model: type[Model], portfolio_id: int | None, action: str = WRITE) -> bool:
    """May the user perform `action` on `model` objects of that portfolio?"""
    role = role_in(user, portfolio_id)
    if role is None:
        return False
    allowed = policies.of(model).roles_for(action)
    return allowed is None or role in allowed


def require(user, model: type[Model], portfolio_id: int | None, action: str = WRITE) -> None:
    """Raise NotFound for a non-member and NotAllowed for a role that may not perform `action`."""
    role = role_in(user, portfolio_id)
    if role is None:
        raise NotFound()
    allowed = policies.of(model).roles_for(action)
    if allowed is not None and role not in allowed:
        label = role.replace("_", " ")
        raise NotAllowed(f"A {label} cannot change this.")


# --- lists and single objects -----------------------------------------------------------------------


def _model_and_queryset(model_or_queryset) -> tuple[type[Model], QuerySet]:
    if isinstance(model_or_queryset, QuerySet):
        return model_or_queryset.model, model_or_queryset
    return model_or_queryset, model_or_queryset._default_manager.all()


def queryset_for_user(user, model_or_queryset) -> QuerySet:
    """The objects in the user's portfolios (empty for anonymous users and non-members)."""
    model, queryset = _model_and_queryset(model_or_queryset)
    path = policies.of(model).portfolio
    return queryset.filter(**{f"{path}__in": list(roles_by_portfolio(user))})


def object_for_user(user, model_or_queryset, pk, *, action: str = READ):
    """One object of the user's portfolios, allowed for `action`.

    Raises NotFound for a missing object, a foreign one and a malformed pk alike, and NotAllowed when
    the user's role may read it but not perform `action`. The object carries `access_portfolio_id`.
    """
    model, queryset = _model_and_queryset(model_or_queryset)
    policy = policies.of(model)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not -(2**63) < pk < 2**63:
        raise NotFound()
    obj = queryset.filter(pk=pk).annotate(access_portfolio_id=F(policy.portfolio)).first()
    if obj is None or role_in(user, obj.access_portfolio_id) is None:
        raise NotFound()
    if action != READ:
        require(user, model, obj.access_portfolio_id, action)
    return obj
