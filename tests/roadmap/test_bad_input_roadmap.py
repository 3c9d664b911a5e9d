"""Absurd input on every roadmap API write: a 400 naming the field (or the body, for JSON the parser
refuses), nothing written, never a 500; and a reader's absurd body is a 403, the role checked first.

tests/api/test_bad_input.py sends hostile values as JSON strings in every field; this file adds what
it does not send: raw JSON numbers no id holds (`1e9999999` parses to infinity), booleans and fractions
as ids, objects and lists where a scalar or a list of ids belongs, another portfolio's objects in every
reference, dates outside the years 1900 to 2200 and days no calendar has.
"""

import json
from datetime import date

import pytest

from products.models import DomainEvent, Feedback, Goal, Idea, KeyResult
from roadmap import services
from roadmap.models import Release, RoadmapDependency, RoadmapItem
from tests.factories import PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/roadmap-items/"
RELEASES = "/api/v1/releases/"
DEPENDENCIES = "/api/v1/roadmap-dependencies/"

# Raw JSON text put where a value goes.
NUMBERS = {"1e9999999": "1e9999999", "-1e9999999": "-1e9999999", "2**70": str(2**70), "-2**70": str(-(2**70))}
AS_TEXT = {"20 nines": '"99999999999999999999"', "nul": '"a\\u0000b"', "lone surrogate": '"\\ud800"'}
SHAPES = {"list": "[1]", "object": "{}", "nested 100 deep": "[" * 100 + "]" * 100}
NOT_IDS = {"true": "true", "1.5": "1.5", "0": "0", "-1": "-1", **NUMBERS, **AS_TEXT, **SHAPES}
NOT_DATES = {
    "0001-01-01": '"0001-01-01"',
    "9999-12-31": '"9999-12-31"',
    "1899-12-31": '"1899-12-31"',
    "2201-01-01": '"2201-01-01"',
    "2026-02-30": '"2026-02-30"',
    "20260101": "20260101",
    **AS_TEXT,
    **SHAPES,
}
NOT_ID_LISTS = {"object": "{}", "id": "1", "list of lists": "[[1]]", "1e9999999 in it": "[1e9999999]", **AS_TEXT}
NOT_NUMBERS = {**NUMBERS, **AS_TEXT, **SHAPES, "20 nines unquoted": "99999999999999999999"}
NOT_CHOICES = {"list": '["now"]', **AS_TEXT, **SHAPES, "number": "1"}
NOT_TEXT = {"list": '["a"]', "object": '{"a": 1}', "number": "1", **SHAPES, **AS_TEXT}
del NOT_TEXT["20 nines"]  # a name may be all digits


class World:
    """A portfolio with a product, an initiative, a feature under it in a planned release; and another
    portfolio whose every kind of object a body may name."""

    def __init__(self):
        self.portfolio = PortfolioFactory()
        self.product = ProductFactory(portfolio=self.portfolio)
        self.release = services.release_create(product=self.product, version="1.0")
        self.initiative = services.roadmap_item_create(product=self.product, title="I", kind="initiative")
        self.item = services.roadmap_item_create(
            product=self.product, title="F", parent=self.initiative, release=self.release
        )
        other = ProductFactory()
        year = {"period_start": date(2026, 1, 1), "period_end": date(2026, 12, 31)}
        goal = Goal.objects.create(product=other, title="G", **year)
        self.foreign = {
            "product": other.id,
            "parent": services.roadmap_item_create(product=other, title="Theirs", kind="initiative").id,
            "release": services.release_create(product=other, version="1.0").id,
            "key_result": KeyResult.objects.create(goal=goal, title="KR", target_value=1).id,
            "ideas": [Idea.objects.create(product=other, title="Theirs").id],
            "feedback": [Feedback.objects.create(product=other, text="Theirs", received_on=date(2026, 1, 5)).id],
        }
        self.foreign["item"] = self.foreign["depends_on"] = self.foreign["parent"]

    def operations(self):
        """(method, url, a valid body, {field: {name: raw JSON}})."""
        item_refs = {f: NOT_IDS for f in ("product", "parent", "release", "key_result")}
        item_fields = {
            **item_refs,
            "ideas": NOT_ID_LISTS,
            "feedback": NOT_ID_LISTS,
            "start_date": NOT_DATES,
            "end_date": NOT_DATES,
            **{f: NOT_NUMBERS for f in ("reach", "impact", "confidence", "effort", "job_size", "value")},
            **{f: NOT_CHOICES for f in ("kind", "status", "horizon", "moscow")},
            "title": NOT_TEXT,
            "owner": NOT_TEXT,
        }
        release_fields = {"product": NOT_IDS, "target_date": NOT_DATES, "version": NOT_TEXT, "name": NOT_TEXT}
        return [
            ("POST", ITEMS, {"product": self.product.id, "title": "T"}, item_fields),
            ("PATCH", f"{ITEMS}{self.item.id}/", {"title": "T"}, item_fields),
            (
                "POST",
                f"{ITEMS}{self.item.id}/move/",
                {"horizon": "now", "position": 0},
                {"horizon": NOT_CHOICES, "position": {"-1": "-1", "1.5": "1.5", "true": "true", **NOT_NUMBERS}},
            ),
            ("POST", RELEASES, {"product": self.product.id, "version": "2.0"}, release_fields),
            ("PATCH", f"{RELEASES}{self.release.id}/", {"name": "N"}, release_fields),
            (
                "POST",
                f"{RELEASES}{self.release.id}/ship/",
                {"override": True, "reason": "Now"},
                {"override": {"text": '"maybe"', **NUMBERS, **SHAPES}, "reason": NOT_TEXT},
            ),
            (
                "POST",
                DEPENDENCIES,
                {"item": self.item.id, "depends_on": self.initiative.id, "kind": "relates"},
                {"item": NOT_IDS, "depends_on": NOT_IDS, "kind": NOT_CHOICES},
            ),
        ]


@pytest.fixture
def world():
    return World()


def written():
    """Every roadmap row, the item links and the events: what a refused request leaves as it was."""
    return (
        list(RoadmapItem.objects.order_by("id").values()),
        list(Release.objects.order_by("id").values()),
        list(RoadmapDependency.objects.order_by("id").values()),
        list(RoadmapItem.ideas.through.objects.order_by("id").values()),
        list(RoadmapItem.feedback.through.objects.order_by("id").values()),
        DomainEvent.objects.count(),
    )


def body(base: dict, field: str, raw: str) -> bytes:
    text = json.dumps({**base, field: "__VALUE__"}).replace('"__VALUE__"', raw)
    return text.encode("utf-8")


def refusals(client, world) -> list[str]:
    """Every absurd value of every operation; what was not a clean 400 that wrote nothing."""
    problems = []
    for method, url, base, fields in world.operations():
        for field, values in fields.items():
            for name, raw in values.items():
                before = written()
                response = client.generic(method, url, body(base, field, raw), "application/json")
                where = f"{method} {url} {field} = {name}: {response.status_code}"
                if response.status_code != 400:
                    problems.append(f"{where} {response.content[:120]!r}")
                    continue
                payload = response.json()
                if field not in payload and "JSON parse error" not in str(payload.get("detail", "")):
                    problems.append(f"{where} without a message for the field: {payload}")
                if written() != before:
                    problems.append(f"{where} but something was written")
    return problems


def test_absurd_values_in_every_roadmap_write_are_a_400_on_the_field(api_client, world):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    api_client.raise_request_exception = False  # a 500 is a finding, listed with the others
    assert refusals(api_client, world) == []


def test_another_portfolios_object_in_every_reference_is_a_400_on_it(api_client, world):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    problems = []
    for method, url, base, fields in world.operations():
        for field in set(fields) & set(world.foreign):
            before = written()
            response = api_client.generic(
                method, url, body(base, field, json.dumps(world.foreign[field])), "application/json"
            )
            if response.status_code != 400 or field not in response.json() or written() != before:
                problems.append(f"{method} {url} {field}: {response.status_code} {response.content[:120]!r}")
    assert problems == []


@pytest.mark.parametrize("raw", ["1e9999999", "true", "1.5", "{}"])
def test_a_number_no_id_holds_is_refused_where_an_id_is_expected_not_taken_for_row_1(api_client, world, raw):
    """`true` and `1.5` were read as id 1 (DRF converts with int()), `1e9999999` was a 500."""
    api_client.force_authenticate(member(world.portfolio, "admin"))
    before = written()
    response = api_client.generic("POST", ITEMS, body({"title": "T"}, "product", raw), "application/json")
    assert response.status_code == 400 and "product" in response.json()
    assert written() == before


def test_an_object_is_not_a_list_of_ideas(api_client, world):
    """`{}` was iterated as its keys and taken for `[]`: a PATCH with it unlinked every idea."""
    idea = Idea.objects.create(product=world.product, title="Ours")
    services.roadmap_item_update(item_id=world.item.id, ideas=[idea])
    api_client.force_authenticate(member(world.portfolio, "admin"))
    response = api_client.generic("PATCH", f"{ITEMS}{world.item.id}/", b'{"ideas": {}}', "application/json")
    assert response.status_code == 400 and "ideas" in response.json()
    assert list(world.item.ideas.all()) == [idea]


@pytest.mark.parametrize("value", ["1900-01-01", "2200-12-31"])
def test_dates_at_the_ends_of_the_window_are_taken(api_client, world, value):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    response = api_client.patch(f"{ITEMS}{world.item.id}/", {"start_date": value, "end_date": value}, format="json")
    assert response.status_code == 200 and response.json()["start_date"] == value
    response = api_client.patch(f"{RELEASES}{world.release.id}/", {"target_date": value}, format="json")
    assert response.status_code == 200 and response.json()["target_date"] == value


@pytest.mark.parametrize("role", ["marketer", "viewer"])
def test_a_readers_absurd_body_is_a_403_before_it_is_parsed(api_client, world, role):
    """The role is checked first: a reader learns nothing about the body's faults, and nothing is written."""
    api_client.force_authenticate(member(world.portfolio, role))
    before = written()
    problems = []
    for method, url, base, fields in world.operations():
        for field, values in fields.items():
            for name, raw in list(values.items())[:4] + [("nested 100 deep", SHAPES["nested 100 deep"])]:
                response = api_client.generic(method, url, body(base, field, raw), "application/json")
                if response.status_code != 403:
                    problems.append(f"{method} {url} {field} = {name}: {response.status_code}")
        response = api_client.generic(method, url, b"{not json", "application/json")
        if response.status_code != 403:
            problems.append(f"{method} {url} with a body that is not JSON: {response.status_code}")
    assert problems == []
    assert written() == before
