"""The demo portfolio's status book: six weeks of working days for the demo user and a colleague product
manager, a few lines a day across the demo products.

The demo user's balance is slightly off: about 60 % daily business (the recommended range is 40–55 %), so
the balance page flags it ("too much daily business: block time for long-term work"), with long-term work
at the bottom of its range. The colleague's time is in balance, to compare.

Written through products.services.status_book as a person would (each author writes their own lines).
Dates are offsets from `today`; weekends stay empty. Writes nothing once the portfolio has a status book.
"""

import random
from datetime import date, timedelta

from django.db import transaction

from products.models import Membership, Portfolio, Role, Stage, StatusBookEntry
from products.services.status_book import status_book_entry_create

C = StatusBookEntry.Category
DAYS = 42  # six weeks, today included

TASKS = {
    C.DAILY: [
        "Answered sales questions on {product} pricing and discounts",
        "Status book, inbox and the {product} support queue",
        "Weekly sync with engineering on {product}",
        "Dealer call: questions after the {product} demo",
        "Collected competitor prices and customer expectations for {product}",
        "Escalation review with support on {product}",
        "Checked {product} spend against the budget with finance",
        "Briefed the sales team on the {product} objections they hear",
    ],
    C.SHORT_TERM: [
        "Annual marketing plan and budget: the {product} section",
        "Reviewed the next {product} campaign with marketing",
        "Trade show brief: {product} booth and demo script",
        "Worked with the agency on the {product} ads",
        "Cost-down review of {product} with engineering",
        "Sprint review: the new {product} feature with the development team",
        "Answer to the competitor's price cut for {product}",
    ],
    C.LONG_TERM: [
        "Long-term competitive strategy for {product}",
        "Explored a new product next to {product}",
        "User experience research notes for {product}",
        "Drafted the {product} three-year vision",
        "Line extension or deletion: the case for {product}",
    ],
}
# Minutes a working day per category (quarter hours), before a little noise: (daily, short-term, long-term).
PLANS = {
    "off": (270, 105, 75),  # ≈ 60 / 23 / 17 %: too much daily business
    "balanced": (210, 120, 90),  # ≈ 50 / 29 / 21 %
}


def _split(total: int, rng: random.Random) -> list[int]:
    """`total` minutes as a few lines of 15-minute steps (15 to 120 each)."""
    parts = []
    left = total
    while left >= 15:
        step = min(left, rng.choice((30, 45, 60, 60, 90, 120)))
        step -= step % 15
        parts.append(step)
        left -= step
    return parts


def _lines(products: list[str], plan: str, first: date, today: date, rng: random.Random):
    """(day, category, minutes, product name, text) of each working day from `first` to `today`."""
    day = first
    while day <= today:
        if day.weekday() < 5:
            for category, base in zip((C.DAILY, C.SHORT_TERM, C.LONG_TERM), PLANS[plan], strict=True):
                minutes = max(base + rng.choice((-30, -15, 0, 0, 15, 30)), 15)
                for part in _split(minutes, rng):
                    product = rng.choice(products)
                    yield day, category, part, product, rng.choice(TASKS[category]).format(product=product)
        day += timedelta(days=1)


def seed_status_book(*, portfolio: Portfolio, actor, today: date) -> dict:
    """Six weeks of status book lines for `actor` (the demo user: too much daily business) and the first
    other product manager of the portfolio (in balance). Returns {"entries": n, "authors": n}; zeros when
    the portfolio already has a status book or no products."""
    if StatusBookEntry.objects.filter(product__portfolio=portfolio).exists():
        return {"entries": 0, "authors": 0}
    products = {
        p.name: p
        for p in portfolio.products.filter(archived_at__isnull=True)
        .exclude(stage=Stage.RETIRED)
        .select_related("portfolio")
        .order_by("name")
    }
    if not products:
        return {"entries": 0, "authors": 0}
    colleague = (
        Membership.objects.filter(portfolio=portfolio, role=Role.PRODUCT_MANAGER)
        .exclude(user=actor)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    authors = [(actor, "off", 12)] + ([(colleague.user, "balanced", 34)] if colleague else [])
    first = today - timedelta(days=DAYS - 1)
    names = sorted(products)
    count = 0
    with transaction.atomic():
        for author, plan, seed in authors:
            rng = random.Random(seed)
            for day, category, minutes, name, text in _lines(names, plan, first, today, rng):
                status_book_entry_create(
                    product=products[name],
                    author=author,
                    actor=author,
                    date=day,
                    category=category,
                    minutes=minutes,
                    text=text,
                )
                count += 1
    return {"entries": count, "authors": len(authors)}
