"""Schemathesis against /api/schema/: every operation, every check, and the stateful phase.

An admin of a seeded portfolio (a product line, a product, a KPI with measurements, a rule) calls the
API in-process through Django's WSGI application, one test per operation with fresh data, then in
chains of calls (`schema.as_state_machine()`: a create, then reads, updates and deletes of what it
made, linked by the ids in the responses). Path ids are drawn from the seeded objects as well as at
random, so operations reach real rows. Every built-in check runs: no server error; a documented
status, content type, header and body; schema-valid requests accepted and schema-violating ones
rejected; a deleted object gone; a missing or invalid token refused; undeclared methods 405.

Exceptions, each specific and explained where it is made:
- `positive_data_acceptance` is replaced by `positive_data_acceptance_but_facts`: a schema-valid
  request may still be a 400 when, and only when, every message in the body is one of the facts a
  schema cannot state (`FACTS`: what exists in the database, which time zones the server knows, rules
  across fields, a wrong password), or a 412 when the request sent an `If-Match` naming another
  version of the object.
- `negative_data_rejection` also counts a 412 as a rejection (`CONFIG`), and is replaced by
  `negative_data_rejection_of_negative_cases`: schemathesis (4.32) can mark a case negative while its own
  description of it says "Positive test case" (no component violates the schema: a multipart upload
  whose file was drawn from Hypothesis's pool of constants found in the code, which shifts with any
  code change); such a case is not checked for rejection.
"""

import csv
import io
import re
from datetime import date

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[dev]')")

from django.conf import settings as django_settings  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections, transaction  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from rest_framework.throttling import ScopedRateThrottle  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.core import NotSet  # noqa: E402
from schemathesis.core.parameters import ParameterLocation  # noqa: E402
from schemathesis.openapi.checks import RejectedPositiveData  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402

from gtm.services import campaigns as campaign_services  # noqa: E402
from gtm.services import enablement as enablement_services  # noqa: E402
from gtm.services import launches as launch_services  # noqa: E402
from gtm.services import messaging as messaging_services  # noqa: E402
from products import services  # noqa: E402
from products.services import documents as document_services  # noqa: E402
from roadmap import services as roadmap_services  # noqa: E402
from tests.factories import (  # noqa: E402
    BudgetPlanFactory,
    CompetitorFactory,
    CompetitorMoveFactory,
    DocumentCommentFactory,
    FeedbackFactory,
    GoalFactory,
    IdeaFactory,
    KeyResultFactory,
    LaunchReviewFactory,
    MarketInsightFactory,
    NotificationFactory,
    PersonaFactory,
    SegmentFactory,
    StageGateFactory,
    StageSuggestionFactory,
    StatusBookEntryFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
    member,
)

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

TOKEN_PATH = "/api/v1/auth/token/"
PASSWORD = "secret-pass-1"  # what UserFactory sets

# A 412 rejects the request as surely as a 400 (nothing is written): PUT, PATCH and DELETE evaluate
# `If-Match` before they read the body (RFC 9110 §13.2.2), so a schema-violating body sent with a
# generated ETag is refused with 412. Every other status of schemathesis's default list stays.
NEGATIVE_REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": NEGATIVE_REJECTIONS}}}
)

# The 400s a schema-valid request may get: (operations, field, message). The schema says what a value
# looks like, not these facts; anything else in a 400's body fails the check.
_ANY = None
_REFERENCE = re.compile(r'Invalid pk "[^"]*" - object does not exist\.')  # no such row (or another portfolio's)
FACTS = [
    # References to rows: existence is the database's, not the schema's.
    (
        _ANY,
        {"portfolio", "product_line", "product", "parent", "release", "key_result", "ideas", "feedback"}
        | {"item", "depends_on"}
        | {"template", "launch_plan", "segment", "target_segments", "target_personas", "products", "campaign"}
        | {"goal", "kpi", "insights", "competitor", "segments", "roadmap_items"},
        _REFERENCE,
    ),
    # Go-to-market: links within one product or portfolio, an object stays where it was made, a template
    # applies on create only, a blocked task and an override give a reason, template names are unique.
    (_ANY, {"release"}, re.compile(r"Choose a release of the same product\.")),
    (
        _ANY,
        {"launch_plan"},
        re.compile(r"Choose a launch plan of the same product\.|It cannot move to another launch plan\."),
    ),
    (_ANY, {"segment"}, re.compile(r"Choose a segment of this portfolio\.")),
    (_ANY, {"portfolio"}, re.compile(r"It cannot move to another portfolio\.")),
    (_ANY, {"template"}, re.compile(r"A template applies when the plan is created only\.")),
    (_ANY, {"name"}, re.compile(r"This portfolio already has a template with this name\.")),
    (_ANY, {"blocked_reason"}, re.compile(r"Say what blocks it, so someone can unblock it\.")),
    (
        {"POST /api/v1/launch-plans/{id}/launch/"},
        {"reason"},
        re.compile(r"Say why it launches with open tasks; the reason is kept with the plan\."),
    ),
    (_ANY, {"end_date"}, re.compile(r"On or after the start date\.")),
    # An asset's link is a web address (http or https only; the schema's `uri` format takes any scheme),
    # and a scheduled or published press item has a date (a rule across fields).
    (_ANY, {"url"}, re.compile(r"A web address starting with http:// or https://, e\.g\. .*\.")),
    (_ANY, {"url", "file"}, re.compile(r"Give a link \(http:// or https://\) or upload a file\.")),  # one of two
    (_ANY, {"publish_date"}, re.compile(r"An? (scheduled|published) item has a publish date\.")),
    ({"GET /api/v1/calendar/"}, {"to"}, re.compile(r"At most 13 months after from: \d{4}-\d{2}-\d{2} at the latest\.")),
    # A roadmap item's owner is one of the portfolio's members: who they are is the database's.
    (_ANY, {"owner"}, re.compile(r"No member of this portfolio is called “.*”\.", re.S)),
    (_ANY, {"version"}, re.compile(r"This product already has a release with this version\.")),
    # An object stays in its product; which product it is in is the row's.
    (_ANY, {"product"}, re.compile(r"It cannot move to another product\.")),
    # The item hierarchy and its links: the kind and product of the rows named (initiative > feature >
    # requirement, a parent and a release of the same product, links of the same portfolio).
    (
        {"POST /api/v1/roadmap-items/", "PUT /api/v1/roadmap-items/{id}/", "PATCH /api/v1/roadmap-items/{id}/"},
        {"parent", "kind", "release", "key_result", "ideas", "feedback"},
        re.compile(
            r"The parent is an item of another product\.|An item cannot be its own parent\."
            r"|An initiative has no parent \(it is the highest kind\)\."
            r"|An? \w+'s parent is of a higher kind \(initiative > feature > requirement\), not an? \w+\."
            r"|It has \d+ child item\(s\) of kind \w+: a parent is of a higher kind\."
            r"|Its parent “.*” is an? \w+: the item's kind must be lower \(initiative > feature > requirement\)\."
            r"|The release belongs to another product\.|The key result belongs to another portfolio\."
            r"|Some (ideas|feedback) belong to another portfolio\.",
            re.S,
        ),
    ),
    # Across fields (or with the stored ones): dates in order, a regulatory item is a requirement that
    # names its regulation, an override of a ship gives a reason.
    (_ANY, {"end_date"}, re.compile(r"The end date is before the start date\.")),
    (_ANY, {"regulatory"}, re.compile(r"Only requirements are marked regulatory\.")),
    (_ANY, {"regulation"}, re.compile(r"Name the regulation the requirement comes from \(e\.g\. GDPR Art\. 17\)\.")),
    (
        {"POST /api/v1/releases/{id}/ship/"},
        {"reason"},
        re.compile(r"Say why it ships with open items; the reason is kept with the release\."),
    ),
    # The dependency graph: itself, a pair that exists, another portfolio's item, a cycle (and its ids).
    (
        {"POST /api/v1/roadmap-dependencies/"},
        {"depends_on"},
        re.compile(
            r"An item cannot depend on itself\.|“.*” already depends on “.*”\.|This would close a cycle: .*\."
            r"|The item belongs to another portfolio\.",
            re.S,
        ),
    ),
    ({"POST /api/v1/roadmap-dependencies/"}, {"cycle"}, re.compile(r"\d+")),
    # Strategy: references of this portfolio (which rows are the database's), a goal's period in order, a
    # KPI that measures one key result at most, a website is http(s), a planned or done response says what
    # it is, feedback is not dated in the future, names are unique.
    (
        _ANY,
        {"product", "products", "segment", "segments", "competitor", "ideas", "kpi"},
        re.compile(r"Choose (an? )?(product|products|segment|segments|competitor|ideas|KPI)( of this portfolio)?\."),
    ),
    (_ANY, {"insights"}, re.compile(r"Some market insights belong to another portfolio\.")),
    (_ANY, {"period_end"}, re.compile(r"On or after the start of the period\.")),
    (_ANY, {"kpi"}, re.compile(r"“.*” already measures the key result “.*”.*", re.S)),
    (_ANY, {"website"}, re.compile(r"A web address starting with http:// or https://.*")),
    (_ANY, {"response"}, re.compile(r"Say what the response is.*")),
    (_ANY, {"received_on"}, re.compile(r"Not in the future: the day it was received, today at the latest\.")),
    (_ANY, {"name"}, re.compile(r"A (segment|competitor) with this name exists in the portfolio\.")),
    # A day of the calendar the server keeps (1900-2200): `format: date` says the shape, not the range.
    (_ANY, {"from", "to", "date"}, re.compile(r"A day from 1900 to 2200, as YYYY-MM-DD\.")),
    # The status book: work is not logged for days to come; a balance's period is ordered and at most a year.
    (_ANY, {"date"}, re.compile(r"Not in the future: the day of the work, today at the latest\.")),
    (
        {"GET /api/v1/status-book/balance/"},
        {"to"},
        re.compile(r"On or after the first day \(`from`\)\.|A period of at most 366 days\."),
    ),
    # A budget plan is of a product or of a product line (one of two); an analysis of a portfolio or a line.
    (
        _ANY,
        {"product", "product_line"},
        re.compile(
            r"Give the product or the product line the plan is for\.|Give a product or a product line, not both\."
        ),
    ),
    (
        {"GET /api/v1/portfolio-analysis/"},
        {"portfolio", "product_line"},
        re.compile(r"Give exactly one of portfolio and product_line\."),
    ),
    (_ANY, {"product", "product_line"}, re.compile(r"Choose a product( line)? of this portfolio\.")),
    (
        _ANY,
        {"budget_lines"},
        re.compile(r"Line \d+: channel: .* repeats line \d+: one line per quarter and channel.*", re.S),
    ),
    (_ANY, {"sales_targets"}, re.compile(r"Target \d+: quarter: Q\d has a target already: one per quarter.*", re.S)),
    # Documents: links of this portfolio, a version that exists; budget plans: one per owner and year.
    (
        _ANY,
        {"ideas", "feedback", "roadmap_items"},
        re.compile(r"Choose (ideas|feedback|roadmap items) of this portfolio\."),
    ),
    (_ANY, {"from", "to", "number"}, re.compile(r"A version of this document: 1 to \d+\.")),
    (_ANY, {"year"}, re.compile(r".* already has a plan for (\d+|that year): edit that one\.", re.S)),
    # A member is added by the username of an existing account.
    (
        {"POST /api/v1/portfolios/{id}/members/"},
        {"username"},
        re.compile(r"Nobody called .* has an account here yet\. .*", re.S),
    ),
    # Uniqueness: whether a name or key is free is the database's state.
    (
        _ANY,
        {"name"},
        re.compile(r"(A (product line|product|rule) with this name exists|This name is taken) in the portfolio\."),
    ),
    (_ANY, {"key"}, re.compile(r"This product already has a KPI with this key\.")),
    # A move to the stage the product is in (the product's state).
    ({"POST /api/v1/products/{id}/transition/"}, {"to_stage"}, re.compile(r"The product is already in .*\.")),
    # Time zones: the server's tz database decides (it changes with tzdata releases; not an enum).
    (_ANY, {"timezone"}, re.compile(r".* is not a known time zone \(use an IANA name such as Europe/Berlin\)\.", re.S)),
    # A rule's params are an object whose keys and values its condition type decides (and checks).
    (_ANY, {"params"}, re.compile(r".+", re.S)),
    # Condition types are registered by the apps at start-up, and each one checks its own params.
    (_ANY, {"condition_type"}, re.compile(r"Unknown condition type .*", re.S)),
    # Across fields: a rule moves a product somewhere else; a range does not end before it starts.
    (_ANY, {"to_stage"}, re.compile(r"A rule must move the product to another stage\.")),
    (_ANY, {"to"}, re.compile(r"Must not be before from\.")),
    # The combined rollups need one of two optional filters.
    ({"GET /api/v1/rollups/"}, {"portfolio"}, re.compile(r"Give a portfolio or a product_line to combine across\.")),
    # A batch names each item's KPI by `kpi` or by `product` and `key`: which of them exist is the database's,
    # and "one or the other" is a rule across fields.
    (
        {"POST /api/v1/measurements/"},
        {"kpi", "product", "key"},
        re.compile(r"No such KPI\.|Product \d+ has no KPI “.*”\.|Give kpi, or product and key(, not both)?\.", re.S),
    ),
    (_ANY, {"external_id"}, re.compile(r"Repeats the external_id of item \d+ in this request\.")),
    # An import's portfolio exists or not; a file's content (empty, not UTF-8 text, too large) is the file's.
    ({"POST /api/v1/imports/"}, {"portfolio"}, re.compile(r"No such portfolio\.")),
    (
        {"POST /api/v1/imports/", "POST /api/v1/kpis/{id}/imports/"},
        {"file"},
        re.compile(r"The file is empty.*|Save the file as UTF-8 CSV.*|The file contains NUL bytes.*|.*larger than.*"),
    ),
    # A feedback file's rows (their columns, values and references) are the file's content, reported by line.
    ({"POST /api/v1/feedback/imports/"}, _ANY, re.compile(r".+", re.S)),
    # Text of nothing but whitespace (" ", "\u0085") is blank once trimmed: the schema's minLength counts
    # the characters, not what they say (schemathesis's workflows sent a portfolio a time zone of NEL).
    (_ANY, _ANY, re.compile(r"This field may not be blank\.")),
    # A roadmap item's expected change: its key is one of the product's KPIs (the database's), and the key
    # and the change come together (a rule across fields).
    (
        _ANY,
        {"expected_kpi_key", "expected_change_pct"},
        re.compile(r".+ is not a KPI of .+|.+ has no KPI yet: .+|Say by how much .+|Name the KPI the change .+"),
    ),
    # A webhook's address: whether it is http(s) and what its host resolves to are the address's facts.
    (
        {"POST /api/v1/webhooks/", "PUT /api/v1/webhooks/{id}/", "PATCH /api/v1/webhooks/{id}/"},
        {"url"},
        re.compile(r".+"),
    ),
    # Stage gates: a criterion type once per gate, one gate per stage (rules across items and rows).
    (
        _ANY,
        {"criteria"},
        re.compile(r"criteria\[\d+\]\.type: \w+ is criteria\[\d+\] already: each type once per gate\."),
    ),
    (_ANY, {"stage"}, re.compile(r"This portfolio has a gate for .+ already: change that one\.")),
    # Credentials: a well-formed username and password that do not match an account.
    ({f"POST {TOKEN_PATH}"}, {"password"}, re.compile(r"Wrong username or password\.")),
]


def _messages(response) -> list[tuple[str, str]]:
    """(field, message) pairs of a 400 body: `{field: [messages]}`, `{"errors": [{index, field, message}]}`,
    or with `format=csv`, `field,message` rows."""
    if (response.headers.get("content-type") or [""])[0].startswith("text/csv"):  # lowercase names, lists
        rows = list(csv.reader(io.StringIO(response.text)))
        return [(row[0], row[1]) for row in rows[1:] if len(row) == 2] or [("", response.text)]
    try:
        body = response.json()
    except ValueError:
        return [("", response.text)]
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return [(str(e.get("field")), str(e.get("message"))) for e in body["errors"] if isinstance(e, dict)]
    if isinstance(body, dict):
        pairs = []
        for field, messages in body.items():
            for message in messages if isinstance(messages, list) else [messages]:
                pairs.append((field, str(message)))
        return pairs
    return [("", repr(body))]


def _is_fact(operation: str, field: str, message: str) -> bool:
    return any(
        (operations is _ANY or operation in operations)
        and (fields is _ANY or field in fields)
        and pattern.fullmatch(message)
        for operations, fields, pattern in FACTS
    )


def _sent_if_match(response) -> bool:
    value = response.request.headers.get("If-Match", "").strip()
    return bool(value) and value != "*"


def positive_data_acceptance_but_facts(ctx, response, case):
    """schemathesis's `positive_data_acceptance`, except for a 400 made only of `FACTS` messages and a
    412 for a request that sent an `If-Match` (a generated ETag names no version of the object)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        operation = f"{case.method.upper()} {case.path}"
        if response.status_code == 412 and _sent_if_match(response):
            return None
        if response.status_code == 400:
            pairs = _messages(response)
            if pairs and all(_is_fact(operation, field, message) for field, message in pairs):
                return None
        raise


def negative_data_rejection_of_negative_cases(ctx, response, case):
    """schemathesis's `negative_data_rejection`, for the cases it describes as negative: one whose phase
    says "Positive test case" names no invalid component, and a server that accepts it is right."""
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative and meta.phase.data.description == "Positive test case":
        return None
    return negative_data_rejection(ctx, response, case)


EXCLUDED = [positive_data_acceptance, negative_data_rejection]
ADDITIONAL = [positive_data_acceptance_but_facts, negative_data_rejection_of_negative_cases]


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction():
    """As Django's test client does: no end-of-request connection cleanup, the test's transaction must
    outlive each request."""
    # Both ends: Django closes a connection whose autocommit differs from its setting, which is every
    # connection inside a test's transaction (on PostgreSQL that killed the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


set_hypothesis_home_dir(django_settings.VAR_DIR / "hypothesis")  # its caches go to var/, not the checkout

# Loaded at collection (the schema view needs no database); operations become one test each.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)
# Filled by the `seeded` fixture: {id} per path, values that make a generated query or body valid, the token.
_seeded: dict[str, dict] = {"ids": {}, "query": {}, "body": {}, "auth": {}}


@schema.auth(refresh_interval=None)
class SeededToken:
    """The seeded admin's token on every request, as configured auth (so `ignored_auth` knows it is
    real and probes the operation without it and with a wrong one). DELETE /auth/token/ revokes the
    token it is sent with: it gets a new one each time."""

    def get(self, case, context):
        if not _seeded["auth"]:
            return None  # while pytest collects (schemathesis draws explicit examples then)
        if (case.method.upper(), case.path) == ("DELETE", TOKEN_PATH):
            return AuthToken.objects.create(_seeded["auth"]["admin"])[1]
        return _seeded["auth"]["token"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def _with_seeded(values: dict, where: str) -> dict:
    return {**values, **{k: v for k, v in _seeded[where].items() if k in values}}


def _seeded_path(context, path_parameters):
    known = _seeded["ids"].get(context.operation.path)
    if known is None or not path_parameters or "id" not in path_parameters:
        return path_parameters
    if isinstance(known, dict):  # several path parameters: {"id": …, "number": …}
        return {**path_parameters, **{k: v for k, v in known.items() if k in path_parameters}}
    return {**path_parameters, "id": known}


def _seeded_body(body):
    if isinstance(body, dict):
        seeded = _with_seeded(body, "body")
        if "condition_type" in body:  # a rule: its params go with its condition type
            seeded["params"] = _seeded["body"]["params"]
        return seeded
    if isinstance(body, list) and all(isinstance(item, dict) for item in body):
        return [_with_seeded(item, "body") for item in body]
    return body


def _with_seeded_values(context, case):
    """The case with the {id} of a seeded object (so reads and writes reach real rows), the seeded
    references and KPI key in the filters, and seeded references and well-formed values in the body
    (so creates succeed), each only where the case is schema-valid: a negative part is left as drawn,
    or the seeded value could repair the very violation it tests."""
    meta = case.meta

    def valid(location):
        return meta is None or not meta.is_negative_at(location)

    if valid(ParameterLocation.PATH) and case.path_parameters:
        case.path_parameters = _seeded_path(context, case.path_parameters)
    if valid(ParameterLocation.QUERY) and isinstance(case.query, dict):
        case.query = _with_seeded(case.query, "query")
    if valid(ParameterLocation.BODY) and not isinstance(case.body, NotSet):
        case.body = _seeded_body(case.body)
    return case


@schema.hook
def flatmap_case(context, case):
    """Half the time with the seeded values (`_with_seeded_values`), else as generated."""
    return st.booleans().map(lambda seeded: _with_seeded_values(context, case) if seeded else case)


@pytest.fixture(autouse=True)
def _token_attempts_unthrottled(monkeypatch):
    """Generated requests would exhaust the token throttle (20/minute) at once and get nothing but 429."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "10000/minute"})
    # ... and lock this client out of sign-ins (django-axes) after five wrong passwords.
    monkeypatch.setattr(django_settings, "AXES_FAILURE_LIMIT", 10000)


@pytest.fixture
def seeded(world):
    """An admin of the world's portfolio (a line, a product, a KPI with measurements, a rule), a product
    with a stage ledger, and a token."""
    admin = member(world.portfolio, "admin")
    colleague = member(world.portfolio, "viewer")
    # A ledger as the services write it: the creation row (from_stage "", no rule) and a person's move.
    ledgered = services.product_create(portfolio=world.portfolio, name="Ledgered", description="Yes.", actor=admin)
    services.product_transition(product_id=ledgered.id, to_stage="research", reason="Interviews", actor=admin)
    # The roadmap: an initiative, a feature under it in a release, a dependency between them.
    release = roadmap_services.release_create(product=world.product, version="9.9", name="Aurora")
    initiative = roadmap_services.roadmap_item_create(product=world.product, title="Meteor", kind="initiative")
    feature = roadmap_services.roadmap_item_create(
        product=world.product, title="Pulsar", parent=initiative, release=release
    )
    dependency = roadmap_services.dependency_create(item=feature, depends_on=initiative, kind="relates")
    # Go-to-market: a template, a plan made from it (its task), messaging, a campaign, an asset, an event,
    # a press item, a segment.
    segment = SegmentFactory(portfolio=world.portfolio, name="Nebula buyers")
    template = launch_services.launch_template_create(
        portfolio=world.portfolio, name="Tier one", tasks=[{"title": "Brief", "function": "sales"}]
    )
    plan = launch_services.launch_plan_create(
        product=world.product, name="Nova", launch_date=date(2027, 2, 1), template=template
    )
    task = plan.tasks.first()
    messaging = messaging_services.messaging_create(product=world.product, positioning="P")
    campaign = campaign_services.campaign_create(
        product=world.product, name="Eclipse", start_date=date(2027, 1, 1), end_date=date(2027, 2, 28)
    )
    asset = enablement_services.asset_create(product=world.product, title="Card", url="https://example.com/card")
    event = enablement_services.marketing_event_create(
        portfolio=world.portfolio, name="Expo", start_date=date(2027, 3, 1)
    )
    press = enablement_services.press_item_create(product=world.product, title="Release")
    # Strategy: a goal with a key result, an insight, a competitor with a move, a persona, a concept idea
    # with an insight and feedback behind it.
    goal = GoalFactory(product=world.product, title="Orbit")
    key_result = KeyResultFactory(goal=goal, title="Apogee")
    insight = MarketInsightFactory(portfolio=world.portfolio, title="Sunspots")
    competitor = CompetitorFactory(portfolio=world.portfolio, name="Rival")
    move = CompetitorMoveFactory(competitor=competitor)
    persona = PersonaFactory(portfolio=world.portfolio, segment=segment)
    idea = IdeaFactory(product=world.product, title="Comet")
    idea.insights.add(insight)
    feedback = FeedbackFactory(product=world.product, segment=segment)
    feedback.ideas.add(idea)
    entry = StatusBookEntryFactory(product=world.product, author=admin, date=date(2026, 3, 2))
    budget_plan = BudgetPlanFactory(product=world.product, year=2026)
    document = document_services.document_create(product=world.product, kind="prd", title="Orion PRD", body="# Why")
    comment = DocumentCommentFactory(document=document)
    # Lifecycle automation: a gate, a pending suggestion, a webhook with a delivery, the admin's own
    # notification, a launched plan's review.
    gate = StageGateFactory(portfolio=world.portfolio, stage="research")
    suggestion = StageSuggestionFactory(product=world.product, to_stage="planning")
    hook = WebhookFactory(portfolio=world.portfolio, url="https://93.184.216.34/pmflow")
    WebhookDeliveryFactory(webhook=hook)
    notification = NotificationFactory(user=admin, portfolio=world.portfolio)
    review = LaunchReviewFactory(launch_plan__product=world.product)
    _seeded["ids"] = {
        "/api/v1/stage-gates/{id}/": gate.id,
        "/api/v1/stage-suggestions/{id}/": suggestion.id,
        "/api/v1/stage-suggestions/{id}/accept/": suggestion.id,
        "/api/v1/stage-suggestions/{id}/dismiss/": suggestion.id,
        "/api/v1/webhooks/{id}/": hook.id,
        "/api/v1/webhooks/{id}/deliveries/": hook.id,
        "/api/v1/webhooks/{id}/test/": hook.id,
        "/api/v1/webhooks/{id}/rotate-secret/": hook.id,
        "/api/v1/notifications/{id}/": notification.id,
        "/api/v1/notifications/{id}/read/": notification.id,
        "/api/v1/launch-reviews/{id}/": review.id,
        "/api/v1/launch-templates/{id}/": template.id,
        "/api/v1/launch-plans/{id}/": plan.id,
        "/api/v1/launch-plans/{id}/launch/": plan.id,
        "/api/v1/launch-plans/{id}/cancel/": plan.id,
        "/api/v1/launch-tasks/{id}/": task.id,
        "/api/v1/messaging/{id}/": messaging.id,
        "/api/v1/messaging/{id}/submit/": messaging.id,
        "/api/v1/messaging/{id}/approve/": messaging.id,
        "/api/v1/messaging/{id}/request-changes/": messaging.id,
        "/api/v1/messaging/{id}/revise/": messaging.id,
        "/api/v1/messaging/{id}/diff/": messaging.id,
        "/api/v1/campaigns/{id}/": campaign.id,
        "/api/v1/assets/{id}/": asset.id,
        "/api/v1/events/{id}/": event.id,
        "/api/v1/press-items/{id}/": press.id,
        "/api/v1/goals/{id}/": goal.id,
        "/api/v1/key-results/{id}/": key_result.id,
        "/api/v1/market-insights/{id}/": insight.id,
        "/api/v1/competitors/{id}/": competitor.id,
        "/api/v1/competitor-moves/{id}/": move.id,
        "/api/v1/segments/{id}/": segment.id,
        "/api/v1/personas/{id}/": persona.id,
        "/api/v1/ideas/{id}/": idea.id,
        "/api/v1/ideas/{id}/evaluate/": idea.id,
        "/api/v1/ideas/{id}/accept/": idea.id,
        "/api/v1/ideas/{id}/reject/": idea.id,
        "/api/v1/feedback/{id}/": feedback.id,
        "/api/v1/status-book/{id}/": entry.id,
        "/api/v1/budget-plans/{id}/": budget_plan.id,
        "/api/v1/budget-plans/{id}/actuals/": budget_plan.id,
        "/api/v1/documents/{id}/": document.id,
        "/api/v1/documents/{id}/comments/": document.id,
        "/api/v1/documents/{id}/diff/": document.id,
        "/api/v1/documents/{id}/versions/": document.id,
        "/api/v1/documents/{id}/versions/{number}/": {"id": document.id, "number": 1},
        "/api/v1/documents/{id}/comments/{comment_id}/resolve/": {"id": document.id, "comment_id": comment.id},
        "/api/v1/portfolios/{id}/analysis-settings/": world.portfolio.id,
        "/api/v1/portfolios/{id}/": world.portfolio.id,
        "/api/v1/portfolios/{id}/members/": world.portfolio.id,
        "/api/v1/product-lines/{id}/": world.line.id,
        "/api/v1/products/{id}/": world.product.id,
        "/api/v1/products/{id}/transition/": world.product.id,
        "/api/v1/products/{id}/transitions/": ledgered.id,
        "/api/v1/lifecycle-rules/{id}/": world.rule.id,
        "/api/v1/kpis/{id}/": world.kpi.id,
        "/api/v1/kpis/{id}/measurements/": world.kpi.id,
        "/api/v1/kpis/{id}/rollups/": world.kpi.id,
        "/api/v1/roadmap-items/{id}/": feature.id,
        "/api/v1/roadmap-items/{id}/move/": feature.id,
        "/api/v1/releases/{id}/": release.id,
        "/api/v1/releases/{id}/ship/": release.id,
        "/api/v1/roadmap-dependencies/{id}/": dependency.id,
        "/api/v1/scoring-weights/{id}/": world.portfolio.id,
    }
    references = {"portfolio": world.portfolio.id, "product_line": world.line.id, "product": world.product.id}
    roadmap_references = {
        "parent": initiative.id,
        "release": release.id,
        "item": initiative.id,
        "depends_on": feature.id,
        "template": template.id,
        "launch_plan": plan.id,
        "segment": segment.id,
        "goal": goal.id,
        "competitor": competitor.id,
    }
    _seeded["query"] = {**references, "key": world.kpi.key, "object_type": "product", "object_id": world.product.id}
    _seeded["body"] = {
        **references,
        "key": "signups",
        "username": colleague.username,
        "password": PASSWORD,
        "timezone": "Europe/Berlin",
        "observed_at": "2026-03-15",
        "condition_type": "kpi_threshold",
        "params": {"key": "revenue", "granularity": "month", "comparator": "gte", "value": 100, "periods": 2},
        **roadmap_references,
        "owner": admin.username,
    }
    _seeded["auth"] = {"admin": admin, "token": AuthToken.objects.create(admin)[1]}
    yield
    _seeded.update(ids={}, query={}, body={}, auth={})


HYPOTHESIS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
}


@schema.parametrize()
@settings(max_examples=20, **HYPOTHESIS)  # ~190 operations: 60 each took a third of the suite's time
def test_api_conforms_to_its_schema(case, seeded):
    if any("." in str(value) for value in (case.path_parameters or {}).values()):
        return  # `/api/v1/kpis/0.5/` matches no URL: Django's own 404 page, not the API's
    case.call_and_validate(excluded_checks=EXCLUDED, additional_checks=ADDITIONAL)


def test_api_workflows_conform_to_its_schema(seeded):
    """The stateful phase: chains of calls (create, then read, update, delete what it made), every check."""

    class Workflow(schema.as_state_machine()):
        # Each scenario starts from the seeded data: what one wrote is rolled back before the next (a
        # replayed scenario must meet the database it first met, or Hypothesis sees a flaky strategy).
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, excluded_checks=EXCLUDED, additional_checks=ADDITIONAL, transport_kwargs=kwargs
            )

    run_state_machine_as_test(Workflow, settings=settings(max_examples=100, stateful_step_count=6, **HYPOTHESIS))
