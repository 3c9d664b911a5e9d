"""Market insight, competitors and their moves.

- A market insight belongs to a portfolio: competition, a trend, a customer expectation or a regulation,
  with its source, the day it was observed (required) and its impact; the products it concerns are of
  the same portfolio (another portfolio's is a 400 on `products`). Ideas (`Idea.insights`) and roadmap
  items (`RoadmapItem.insights`) link to insights; those links are theirs.
- A competitor's name is unique in its portfolio; its website is an http(s) address; the segments it
  competes in are of the same portfolio; `threat` is low, medium or high.
- A competitor move is what a competitor did (a launch, a price change, a campaign, a partnership) on a
  day, with the products it concerns (of the competitor's portfolio) and our response. A response that
  is planned or done says what it is (`response`); a move with `response_status` none is one nobody has
  answered yet (the pages call it out). A move may be put under another competitor of the same portfolio.

Every write runs in one transaction, locks the row it changes and records one domain event
(`market_insight.*`, `competitor.*`, `competitor_move.*`). Bad input is InvalidInput with a message per
field (400); nothing is written.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from pmflow.access import READ, WRITE, object_for_user
from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Competitor, CompetitorMove, Impact, MarketInsight, Portfolio, Product, Segment

INSIGHT_FIELDS = ("kind", "title", "summary", "source", "observed_on", "impact")
COMPETITOR_FIELDS = ("name", "website", "strengths", "weaknesses", "pricing", "threat")
MOVE_FIELDS = ("competitor", "kind", "happened_on", "description", "response", "response_status")

TITLE_MAX = 200
SOURCE_MAX = 500
WEBSITE_MAX = 500
TEXT_MAX = 20_000
# The dates of the rest of the app (a plan's, a measurement's): 0001-01-01 or 9999-12-31 is a typo.
DATE_YEARS = (1900, 2200)
DATE_MESSAGE = f"A date between the years {DATE_YEARS[0]} and {DATE_YEARS[1]}."

INSIGHT_KINDS = MarketInsight.Kind.values
IMPACTS = Impact.values
MOVE_KINDS = CompetitorMove.Kind.values
RESPONSE_STATUSES = CompetitorMove.ResponseStatus.values
NO_RESPONSE = CompetitorMove.ResponseStatus.NONE

NAME_TAKEN = "This name is taken in the portfolio."
WEBSITE_MESSAGE = "A web address starting with http:// or https://, e.g. https://rival.example.com."
RESPONSE_NEEDED = "Say what the response is; a planned or done response is described here."
_url_check = URLValidator(schemes=["http", "https"])


# --- checks -------------------------------------------------------------------------------------------


def _text(fields: dict, name: str, errors: dict, *, limit: int = TITLE_MAX, required: str = "") -> None:
    """Strip `fields[name]`; `required` is the message when it is empty (empty allowed without one)."""
    if name not in fields:
        return
    value = fields[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "Text."
        return
    value = value.strip()
    fields[name] = value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[name] = "Text without lone surrogates (they are not characters)."
        return
    if "\x00" in value:
        errors[name] = "Text without NUL characters."
    elif required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters."


def _choice(fields: dict, name: str, choices, errors: dict) -> None:
    if name in fields and fields[name] not in choices:
        errors[name] = f"Use one of {', '.join(choices)}."


def _day(fields: dict, name: str, errors: dict, *, required: str) -> None:
    if name not in fields:
        return
    value = fields[name]
    if value is None:
        errors[name] = required
    elif not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[name] = "A date (YYYY-MM-DD)."
    elif not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
        errors[name] = DATE_MESSAGE


def _rows(fields: dict, name: str, model, portfolio_id: int, errors: dict, *, what: str) -> None:
    """`fields[name]`, when given, is a list of `model` rows of the portfolio (deduplicated, by id)."""
    if name not in fields:
        return
    rows = fields[name]
    if not isinstance(rows, list | tuple | set) or not all(isinstance(row, model) for row in rows):
        errors[name] = f"A list of {what}."
        return
    rows = sorted({row.pk: row for row in rows}.values(), key=lambda row: row.pk)
    if any(row.portfolio_id != portfolio_id for row in rows):
        errors[name] = f"Choose {what} of this portfolio."
    fields[name] = rows


def _website(fields: dict, errors: dict) -> None:
    _text(fields, "website", errors, limit=WEBSITE_MAX)
    url = fields.get("website")
    if "website" in errors or not url:
        return
    if any(ch.isspace() for ch in url):
        errors["website"] = WEBSITE_MESSAGE
        return
    try:
        _url_check(url)
    except ValidationError:
        errors["website"] = WEBSITE_MESSAGE


def _known(fields: dict, allowed, what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not {what} fields: {sorted(unknown)}")


def _ids(obj, name: str) -> list[int]:
    return sorted(getattr(obj, name).values_list("pk", flat=True))


def _set_rows(obj, name: str, rows, changes: dict) -> None:
    """Replace the rows of the many-to-many `name` when they differ; note the change."""
    before, after = _ids(obj, name), [row.pk for row in rows]
    if before != after:
        getattr(obj, name).set(rows)
        changes[name] = [before, after]


def _save(obj, fields: dict) -> dict:
    """Set `fields` on `obj` and save the columns that changed: {field: [old, new]}."""
    before = events.snapshot(obj, fields)
    for name, value in fields.items():
        setattr(obj, name, value)
    changes = events.changes_between(before, events.snapshot(obj, fields))
    if changes:
        obj.save(update_fields=list(changes))
    return changes


# --- market insights ----------------------------------------------------------------------------------


def _insight_check(fields: dict, portfolio_id: int) -> None:
    errors: dict = {}
    _text(fields, "title", errors, required="Give the insight a title, e.g. “Buyers expect SSO in every plan”.")
    _text(fields, "summary", errors, limit=TEXT_MAX)
    _text(fields, "source", errors, limit=SOURCE_MAX)
    _choice(fields, "kind", INSIGHT_KINDS, errors)
    _choice(fields, "impact", IMPACTS, errors)
    _day(fields, "observed_on", errors, required="Give the day it was observed.")
    _rows(fields, "products", Product, portfolio_id, errors, what="products")
    if errors:
        raise InvalidInput(fields=errors)


def market_insight_create(*, portfolio: Portfolio, actor=None, products=(), **fields) -> MarketInsight:
    """Record what was seen in the market (`kind`, `title`, `observed_on`; `summary`, `source`, `impact`
    default to blank and medium) and the `products` of `portfolio` it concerns.

    Raises InvalidInput: no title, kind or day, a kind or impact outside the choices, a date outside
    1900–2200, text too long or with NUL characters, products of another portfolio.
    """
    _known(fields, INSIGHT_FIELDS, "market insight")
    fields = {"title": "", "kind": "", "observed_on": None, **fields, "products": list(products)}
    _insight_check(fields, portfolio.id)
    chosen = fields.pop("products")
    with transaction.atomic():
        insight = MarketInsight.objects.create(portfolio=portfolio, **fields)
        insight.products.set(chosen)
        events.record(
            portfolio_id=portfolio.id,
            actor=actor,
            verb="market_insight.created",
            obj=insight,
            changes={
                "title": [None, insight.title],
                "kind": [None, insight.kind],
                "impact": [None, insight.impact],
                "observed_on": [None, insight.observed_on],
                **({"source": [None, insight.source]} if insight.source else {}),
                "products": [None, [p.pk for p in chosen]],
            },
        )
    return insight


def _locked(model, pk: int):
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound()
    return row


def market_insight_update(*, insight_id: int, actor=None, products=None, **fields) -> MarketInsight:
    """Change an insight; `products` (when given) replaces the products it concerns.

    Raises NotFound, and InvalidInput as `market_insight_create`.
    """
    _known(fields, INSIGHT_FIELDS, "market insight")
    fields = dict(fields)
    if products is not None:
        fields["products"] = list(products)
    with transaction.atomic():
        insight = _locked(MarketInsight, insight_id)
        _insight_check(fields, insight.portfolio_id)
        chosen = fields.pop("products", None)
        changes = _save(insight, fields)
        if chosen is not None:
            _set_rows(insight, "products", chosen, changes)
        if changes:
            events.record(
                portfolio_id=insight.portfolio_id,
                actor=actor,
                verb="market_insight.updated",
                obj=insight,
                changes=changes,
            )
    return insight


def market_insight_delete(*, insight_id: int, actor=None) -> str:
    """Delete an insight; the ideas and roadmap items that named it stay, without it. Returns its title."""
    with transaction.atomic():
        insight = _locked(MarketInsight, insight_id)
        events.record(
            portfolio_id=insight.portfolio_id,
            actor=actor,
            verb="market_insight.deleted",
            obj=insight,
            data={
                "title": insight.title,
                "kind": insight.kind,
                "products": _ids(insight, "products"),
                "ideas": _ids(insight, "ideas"),
                "roadmap_items": _ids(insight, "roadmap_items"),
            },
        )
        title = insight.title
        insight.delete()
    return title


# --- competitors --------------------------------------------------------------------------------------


def _competitor_check(fields: dict, portfolio_id: int, *, competitor_id: int | None = None) -> None:
    errors: dict = {}
    _text(fields, "name", errors, required="Give the competitor's name.")
    _website(fields, errors)
    for name in ("strengths", "weaknesses", "pricing"):
        _text(fields, name, errors, limit=TEXT_MAX)
    _choice(fields, "threat", IMPACTS, errors)
    _rows(fields, "segments", Segment, portfolio_id, errors, what="segments")
    if "name" in fields and "name" not in errors:
        taken = Competitor.objects.filter(portfolio_id=portfolio_id, name=fields["name"])
        if competitor_id is not None:
            taken = taken.exclude(pk=competitor_id)
        if taken.exists():
            errors["name"] = NAME_TAKEN
    if errors:
        raise InvalidInput(fields=errors)


def competitor_create(*, portfolio: Portfolio, actor=None, segments=(), **fields) -> Competitor:
    """Add a competitor profile to `portfolio`, with the `segments` (of it) where it competes.

    Raises InvalidInput: no name or a name the portfolio already has, a website that is not http(s),
    a threat outside low | medium | high, text too long or with NUL characters, segments of another
    portfolio.
    """
    _known(fields, COMPETITOR_FIELDS, "competitor")
    fields = {"name": "", **fields, "segments": list(segments)}
    _competitor_check(fields, portfolio.id)
    chosen = fields.pop("segments")
    try:
        with transaction.atomic():
            competitor = Competitor.objects.create(portfolio=portfolio, **fields)
            competitor.segments.set(chosen)
            events.record(
                portfolio_id=portfolio.id,
                actor=actor,
                verb="competitor.created",
                obj=competitor,
                changes={
                    "name": [None, competitor.name],
                    "threat": [None, competitor.threat],
                    **({"website": [None, competitor.website]} if competitor.website else {}),
                    "segments": [None, [s.pk for s in chosen]],
                },
            )
    except IntegrityError as exc:  # the same name written by someone else meanwhile
        raise InvalidInput(fields={"name": NAME_TAKEN}) from exc
    return competitor


def competitor_update(*, competitor_id: int, actor=None, segments=None, **fields) -> Competitor:
    """Change a competitor's profile; `segments` (when given) replaces its segments.

    Raises NotFound, and InvalidInput as `competitor_create`.
    """
    _known(fields, COMPETITOR_FIELDS, "competitor")
    fields = dict(fields)
    if segments is not None:
        fields["segments"] = list(segments)
    try:
        with transaction.atomic():
            competitor = _locked(Competitor, competitor_id)
            _competitor_check(fields, competitor.portfolio_id, competitor_id=competitor.pk)
            chosen = fields.pop("segments", None)
            changes = _save(competitor, fields)
            if chosen is not None:
                _set_rows(competitor, "segments", chosen, changes)
            if changes:
                events.record(
                    portfolio_id=competitor.portfolio_id,
                    actor=actor,
                    verb="competitor.updated",
                    obj=competitor,
                    changes=changes,
                )
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": NAME_TAKEN}) from exc
    return competitor


def competitor_delete(*, competitor_id: int, actor=None) -> str:
    """Delete a competitor with its moves (their history stays in the events). Returns its name."""
    with transaction.atomic():
        competitor = _locked(Competitor, competitor_id)
        moves = list(competitor.moves.order_by("happened_on", "id").values_list("pk", flat=True))
        events.record(
            portfolio_id=competitor.portfolio_id,
            actor=actor,
            verb="competitor.deleted",
            obj=competitor,
            data={"name": competitor.name, "moves": moves},
        )
        name = competitor.name
        competitor.delete()
    return name


# --- competitor moves ---------------------------------------------------------------------------------


def _move_check(fields: dict, portfolio_id: int, *, stored: CompetitorMove | None = None) -> None:
    errors: dict = {}
    competitor = fields.get("competitor")
    if "competitor" in fields and (not isinstance(competitor, Competitor) or competitor.portfolio_id != portfolio_id):
        errors["competitor"] = "Choose a competitor of this portfolio."
    _choice(fields, "kind", MOVE_KINDS, errors)
    _day(fields, "happened_on", errors, required="Give the day it happened (or was announced).")
    _text(fields, "description", errors, limit=TEXT_MAX, required="Say what they did, e.g. “Cut the Pro plan by 20 %”.")
    _text(fields, "response", errors, limit=TEXT_MAX)
    _choice(fields, "response_status", RESPONSE_STATUSES, errors)
    _rows(fields, "products", Product, portfolio_id, errors, what="products")
    status = fields.get("response_status", stored.response_status if stored else NO_RESPONSE)
    response = fields.get("response", stored.response if stored else "")
    if "response_status" not in errors and "response" not in errors and status != NO_RESPONSE and not response:
        errors["response"] = RESPONSE_NEEDED
    if errors:
        raise InvalidInput(fields=errors)


def competitor_move_create(*, competitor: Competitor, actor=None, products=(), **fields) -> CompetitorMove:
    """Record what `competitor` did (`kind`, `happened_on`, `description`), the `products` of its portfolio
    it concerns, and our `response` with its `response_status` (none by default).

    Raises InvalidInput: no kind, day or description, a choice outside the lists, a date outside
    1900–2200, a planned or done response without its description, products of another portfolio.
    """
    _known(fields, MOVE_FIELDS, "competitor move")
    fields = {"kind": "", "happened_on": None, "description": "", **fields, "products": list(products)}
    fields.setdefault("competitor", competitor)
    _move_check(fields, competitor.portfolio_id)
    chosen = fields.pop("products")
    with transaction.atomic():
        move = CompetitorMove.objects.create(**fields)
        move.products.set(chosen)
        events.record(
            portfolio_id=move.competitor.portfolio_id,
            actor=actor,
            verb="competitor_move.created",
            obj=move,
            changes={
                "competitor": [None, move.competitor_id],
                "kind": [None, move.kind],
                "happened_on": [None, move.happened_on],
                "response_status": [None, move.response_status],
                "products": [None, [p.pk for p in chosen]],
            },
        )
    return move


def _locked_move(move_id: int) -> CompetitorMove:
    moves = CompetitorMove.objects.select_for_update(of=("self",)).select_related("competitor")
    move = moves.filter(pk=move_id).first()
    if move is None:
        raise NotFound()
    return move


def competitor_move_update(*, move_id: int, actor=None, products=None, **fields) -> CompetitorMove:
    """Change a move or record our response to it; `products` (when given) replaces its products. A new
    `competitor` is another of the same portfolio.

    Raises NotFound, and InvalidInput as `competitor_move_create` (a planned or done status is judged
    with the response the move will have).
    """
    _known(fields, MOVE_FIELDS, "competitor move")
    fields = dict(fields)
    if products is not None:
        fields["products"] = list(products)
    with transaction.atomic():
        move = _locked_move(move_id)
        portfolio_id = move.competitor.portfolio_id
        _move_check(fields, portfolio_id, stored=move)
        chosen = fields.pop("products", None)
        changes = _save(move, fields)
        if chosen is not None:
            _set_rows(move, "products", chosen, changes)
        if changes:
            events.record(
                portfolio_id=portfolio_id,
                actor=actor,
                verb="competitor_move.updated",
                obj=move,
                changes=changes,
            )
    return move


def competitor_move_delete(*, move_id: int, actor=None) -> str:
    """Delete a move. Returns what it was ("Rival: Price change on 2026-03-01")."""
    with transaction.atomic():
        move = _locked_move(move_id)
        label = str(move)
        events.record(
            portfolio_id=move.competitor.portfolio_id,
            actor=actor,
            verb="competitor_move.deleted",
            obj=move,
            data={
                "competitor": move.competitor_id,
                "kind": move.kind,
                "happened_on": move.happened_on.isoformat(),
                "description": move.description[:200],
            },
        )
        move.delete()
    return label


# --- lookups the pages and the API share --------------------------------------------------------------


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


def products_by_name():
    return Prefetch("products", queryset=Product.objects.order_by("name", "id"))


def market_insights():
    """Insights with their products (by name) and how many ideas and roadmap items name each."""
    ideas = MarketInsight.ideas.through.objects.filter(marketinsight_id=OuterRef("pk"))
    items = MarketInsight.roadmap_items.through.objects.filter(marketinsight_id=OuterRef("pk"))
    return MarketInsight.objects.prefetch_related(products_by_name()).annotate(
        idea_count=_count(ideas, "marketinsight_id"),
        roadmap_item_count=_count(items, "marketinsight_id"),
    )


def _count(rows, column: str):
    """How many `rows` (a queryset filtered on an OuterRef): one subquery, 0 without any."""
    counted = rows.order_by().values(column).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def competitors():
    """Competitors with their segments (by name), their number of moves, of moves nobody has answered yet
    (`open_move_count`) and the day of the latest move."""
    moves = CompetitorMove.objects.filter(competitor_id=OuterRef("pk"))
    latest = moves.order_by().values("competitor_id").annotate(day=Max("happened_on")).values("day")
    return Competitor.objects.prefetch_related(
        Prefetch("segments", queryset=Segment.objects.order_by("name", "id"))
    ).annotate(
        move_count=_count(moves, "competitor_id"),
        open_move_count=_count(moves.filter(response_status=NO_RESPONSE), "competitor_id"),
        last_move_on=Subquery(latest),
    )


def competitor_moves():
    return CompetitorMove.objects.select_related("competitor").prefetch_related(products_by_name())


def unanswered(queryset):
    """The moves of `queryset` nobody has responded to yet."""
    return queryset.filter(response_status=NO_RESPONSE)


def market_insight_for_user(user, insight_id, *, write: bool = False, action: str | None = None) -> MarketInsight:
    queryset = market_insights().select_related("portfolio")
    return object_for_user(user, queryset, insight_id, action=_action(write, action))


def competitor_for_user(user, competitor_id, *, write: bool = False, action: str | None = None) -> Competitor:
    queryset = competitors().select_related("portfolio")
    return object_for_user(user, queryset, competitor_id, action=_action(write, action))


def competitor_move_for_user(user, move_id, *, write: bool = False, action: str | None = None) -> CompetitorMove:
    queryset = competitor_moves().select_related("competitor__portfolio")
    return object_for_user(user, queryset, move_id, action=_action(write, action))


def competitors_of(portfolio_id: int):
    """A portfolio's competitors by name (the forms' choices)."""
    return Competitor.objects.filter(portfolio_id=portfolio_id).order_by("name", "id")
