"""Portfolios and who is a member of them."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import Membership, Portfolio, Role, validate_timezone


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(fields={"name": "Give it a name."})
    if len(name) > 200:
        raise InvalidInput(fields={"name": "At most 200 characters."})
    return name


def _clean_timezone(value: str) -> str:
    try:
        validate_timezone(value)
    except Exception as exc:
        raise InvalidInput(fields={"timezone": f"“{value}” is not a known time zone."}) from exc
    return value


def portfolio_create(*, name: str, timezone_name: str = "UTC", creator) -> Portfolio:
    """Create a portfolio; its creator becomes its admin. Raises InvalidInput for a bad name or zone."""
    name, timezone_name = _clean_name(name), _clean_timezone(timezone_name)
    with transaction.atomic():
        portfolio = Portfolio.objects.create(name=name, timezone=timezone_name)
        membership = Membership.objects.create(portfolio=portfolio, user=creator, role=Role.ADMIN)
        events.record(portfolio_id=portfolio.id, actor=creator, verb="portfolio.created", obj=portfolio)
        events.record(
            portfolio_id=portfolio.id,
            actor=creator,
            verb="membership.created",
            obj=membership,
            object_repr=creator.get_username(),
            changes={"role": [None, Role.ADMIN]},
        )
        # A new portfolio starts with the default gates and lifecycle rules (editable by its admins).
        from products.services.default_rules import rules_default_create
        from products.services.gates import gates_default_create

        gates_default_create(portfolio=portfolio, actor=creator)
        rules_default_create(portfolio=portfolio, actor=creator)
    return portfolio


def portfolio_update(*, portfolio_id: int, actor, name: str | None = None, timezone_name: str | None = None):
    """Rename a portfolio or change its time zone (rollup periods follow it: kpis rebuilds them).

    Raises InvalidInput for an empty name or an unknown zone.
    """
    with transaction.atomic():
        portfolio = Portfolio.objects.select_for_update().get(pk=portfolio_id)
        values = {}
        if name is not None:
            values["name"] = _clean_name(name)
        if timezone_name is not None:
            values["timezone"] = _clean_timezone(timezone_name)
        events.save_changes(portfolio, values, portfolio_id=portfolio.id, actor=actor, verb="portfolio.updated")
    return portfolio


def _find_user(username_or_email: str):
    text = (username_or_email or "").strip()
    if not text:
        raise InvalidInput(fields={"username": "Give a username or an e-mail address."})
    users = get_user_model().objects.filter(
        Q(username=text) | Q(email__iexact=text) if "@" in text else Q(username=text)
    )
    found = list(users[:2])
    if len(found) != 1:
        problem = "Several people use this e-mail address; give the username." if found else None
        raise InvalidInput(
            fields={
                "username": problem
                or f"Nobody called “{text}” has an account here yet. Accounts are created by whoever runs this "
                "pmflow (Admin → Users); add them here once they have one."
            }
        )
    return found[0]


def _admins_left(portfolio_id: int) -> bool:
    return Membership.objects.filter(portfolio_id=portfolio_id, role=Role.ADMIN).exists()


def membership_set(*, portfolio: Portfolio, username: str, role: str, actor=None) -> Membership:
    """Add a user (by username or e-mail) to the portfolio, or change their role.

    Raises InvalidInput for an unknown user or role, and Conflict when it would leave no admin.
    """
    if role not in Role.values:
        raise InvalidInput(fields={"role": f"Unknown role “{role}”; use one of {', '.join(Role.values)}."})
    user = _find_user(username)
    with transaction.atomic():
        Portfolio.objects.select_for_update().get(pk=portfolio.pk)
        membership = Membership.objects.filter(portfolio=portfolio, user=user).first()
        old_role = membership.role if membership else None
        if membership is None:
            membership = Membership.objects.create(portfolio=portfolio, user=user, role=role)
        elif old_role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        if not _admins_left(portfolio.pk):
            raise Conflict("A portfolio needs at least one admin.")
        if old_role != role:
            events.record(
                portfolio_id=portfolio.pk,
                actor=actor,
                verb="membership.created" if old_role is None else "membership.role_changed",
                obj=membership,
                object_repr=user.get_username(),
                changes={"role": [old_role, role]},
            )
    return membership


def membership_remove(*, membership_id: int, actor=None) -> None:
    """Remove a member. Raises NotFound when gone, Conflict when it would leave the portfolio without admin."""
    with transaction.atomic():
        membership = Membership.objects.select_related("user").filter(pk=membership_id).first()
        if membership is None:
            raise NotFound()
        Portfolio.objects.select_for_update().get(pk=membership.portfolio_id)
        membership.delete()
        if not _admins_left(membership.portfolio_id):
            raise Conflict("The last admin cannot be removed: make someone else admin first.")
        events.record(
            portfolio_id=membership.portfolio_id,
            actor=actor,
            verb="membership.removed",
            object_type="membership",
            object_id=membership_id,
            object_repr=membership.user.get_username(),
            changes={"role": [membership.role, None]},
        )
