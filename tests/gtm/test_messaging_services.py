"""gtm.services.messaging: versions of a line, the review steps, the frozen approved version, the checked
rows, the events of every change; and gtm.diff between two versions."""

import pytest

from gtm import diff
from gtm.models import Messaging
from gtm.services import messaging as services
from pmflow.errors import Conflict, InvalidInput, NotAllowed
from products.models import DomainEvent, Role
from tests.factories import (
    LaunchPlanFactory,
    MessagingFactory,
    PersonaFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

MESSAGES = [
    {"message": "Every launch ready on time", "proof_points": ["Fewer slips", "One checklist"]},
    {"message": "One place for the whole team", "proof_points": []},
]
OBJECTIONS = [{"objection": "We use a spreadsheet", "response": "It cannot tell you what is late."}]


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(name="Acme"), name="Nebula")


@pytest.fixture
def pm(product):
    return member(product.portfolio, Role.PRODUCT_MANAGER)


def complete(product, **fields):
    """A first version with everything review needs."""
    fields = {
        "positioning": "For launch teams who lose track, Nebula is the launch tracker.",
        "value_proposition": "Every launch on time.",
        "key_messages": MESSAGES,
        "objections": OBJECTIONS,
        **fields,
    }
    return services.messaging_create(product=product, **fields)


def approved(product, pm, **fields):
    messaging = complete(product, **fields)
    services.messaging_submit(messaging_id=messaging.id)
    return services.messaging_approve(messaging_id=messaging.id, actor=pm)


def verbs(messaging) -> list[str]:
    return list(
        DomainEvent.objects.filter(object_type="messaging", object_id=messaging.id)
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- create --------------------------------------------------------------------------------------------


def test_the_first_version_is_a_draft_v1_that_is_its_own_origin(product):
    messaging = services.messaging_create(product=product, positioning="  For teams.  ")
    messaging.refresh_from_db()
    assert (messaging.version, messaging.status, messaging.origin_id) == (1, "draft", messaging.id)
    assert messaging.positioning == "For teams."


def test_create_records_a_created_event_with_the_content(product):
    messaging = complete(product)
    event = DomainEvent.objects.get(verb="messaging.created", object_id=messaging.id)
    assert event.changes["positioning"][1].startswith("For launch teams")
    assert event.changes["key_messages"] == [None, "2 key messages, 2 proof points"]
    assert event.data["version"] == 1 and event.data["origin"] == messaging.id


def test_create_links_segments_and_personas_of_the_portfolio(product):
    segment, persona = SegmentFactory(portfolio=product.portfolio), PersonaFactory(portfolio=product.portfolio)
    messaging = services.messaging_create(product=product, target_segments=[segment], target_personas=[persona])
    assert list(messaging.target_segments.all()) == [segment]
    assert list(messaging.target_personas.all()) == [persona]


@pytest.mark.parametrize("field", ["target_segments", "target_personas"])
def test_a_segment_or_persona_of_another_portfolio_is_refused_and_nothing_is_written(product, field):
    factory = SegmentFactory if field == "target_segments" else PersonaFactory
    with pytest.raises(InvalidInput) as refused:
        services.messaging_create(product=product, **{field: [factory()]})
    assert field in refused.value.fields
    assert not Messaging.objects.exists() and not DomainEvent.objects.exists()


def test_a_launch_plan_of_another_product_is_refused(product):
    other = LaunchPlanFactory(product=ProductFactory(portfolio=product.portfolio))
    with pytest.raises(InvalidInput) as refused:
        services.messaging_create(product=product, launch_plan=other)
    assert refused.value.fields == {"launch_plan": "Choose a launch plan of the same product."}


# --- rows at the boundary ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows, message",
    [
        ("not a list", 'A list of {"message", "proof_points"} objects.'),
        ([{"message": "x", "proof_points": []}] * 51, "At most 50 key messages."),
        ([{"message": "Fine", "proof_points": []}, "text"], "Key message 2: an object with"),
        ([{"message": "x"}], "Key message 1: “proof_points” is missing."),
        ([{"message": "x", "proof_points": [], "extra": 1}], "Key message 1: unknown field “extra”."),
        ([{"message": 5, "proof_points": []}], "Key message 1: message: a text is needed."),
        ([{"message": "   ", "proof_points": []}], "Key message 1: the message is empty."),
        ([{"message": "a\x00b", "proof_points": []}], "Key message 1: message: a NUL character"),
        ([{"message": "\ud800", "proof_points": []}], "Key message 1: message: a lone surrogate"),
        ([{"message": "x" * 2001, "proof_points": []}], "Key message 1: message: at most 2,000 characters."),
        ([{"message": "x", "proof_points": "one"}], "Key message 1: “proof_points” is a list of texts."),
        ([{"message": "x", "proof_points": ["p"] * 21}], "Key message 1: at most 20 proof points."),
        ([{"message": "x", "proof_points": ["ok", 3]}], "Key message 1, proof point 2: a text is needed."),
        ([{"message": "x", "proof_points": ["ok", "y" * 2001]}], "Key message 1, proof point 2: at most 2,000"),
        ([{"message": "x", "proof_points": [""]}], "Key message 1, proof point 1: it is empty."),
    ],
)
def test_bad_key_message_rows_are_refused_naming_the_row(product, rows, message):
    with pytest.raises(InvalidInput) as refused:
        services.messaging_create(product=product, key_messages=rows)
    found = refused.value.fields["key_messages"]
    found = found if isinstance(found, list) else [found]
    assert any(text.startswith(message) for text in found), found
    assert not Messaging.objects.exists()


@pytest.mark.parametrize(
    "rows, message",
    [
        ({"objection": "x", "response": "y"}, 'A list of {"objection", "response"} objects.'),
        ([{"objection": "x", "response": "y"}] * 51, "At most 50 objections."),
        ([{"objection": "x"}], "Objection 1: “response” is missing."),
        ([{"objection": "x", "response": "y", "id": 1}], "Objection 1: unknown field “id”."),
        ([{"objection": "", "response": "y"}], "Objection 1: the objection is empty."),
        ([{"objection": "x", "response": None}], "Objection 1: response: a text is needed."),
        ([{"objection": "x", "response": "y" * 2001}], "Objection 1: response: at most 2,000 characters."),
    ],
)
def test_bad_objection_rows_are_refused_naming_the_row(product, rows, message):
    with pytest.raises(InvalidInput) as refused:
        services.messaging_create(product=product, objections=rows)
    found = refused.value.fields["objections"]
    found = found if isinstance(found, list) else [found]
    assert any(text.startswith(message) for text in found), found


def test_every_bad_row_is_reported_at_once(product):
    rows = [{"message": "", "proof_points": []}, {"message": "ok", "proof_points": []}, {"message": 1}]
    with pytest.raises(InvalidInput) as refused:
        services.messaging_create(product=product, key_messages=rows)
    assert [text.split(":")[0] for text in refused.value.fields["key_messages"]] == ["Key message 1", "Key message 3"]


def test_rows_are_trimmed(product):
    messaging = services.messaging_create(
        product=product,
        key_messages=[{"message": " Fast ", "proof_points": [" 2x "]}],
        objections=[{"objection": " Price ", "response": " Pays back "}],
    )
    assert messaging.key_messages == [{"message": "Fast", "proof_points": ["2x"]}]
    assert messaging.objections == [{"objection": "Price", "response": "Pays back"}]


@pytest.mark.parametrize("value", ["a\x00b", "\udfff", "x" * 20_001, 12])
def test_bad_positioning_is_refused(product, value):
    with pytest.raises(InvalidInput) as refused:
        services.messaging_create(product=product, positioning=value)
    assert "positioning" in refused.value.fields


# --- update and the status flow ------------------------------------------------------------------------


def test_updating_a_draft_records_what_changed(product):
    messaging = complete(product)
    services.messaging_update(messaging_id=messaging.id, positioning="For everyone.", key_messages=MESSAGES[:1])
    event = DomainEvent.objects.get(verb="messaging.updated")
    assert event.changes["positioning"][1] == "For everyone."
    assert event.changes["key_messages"] == ["2 key messages, 2 proof points", "1 key message, 2 proof points"]
    assert "status" not in event.changes


def test_rewording_a_list_is_recorded_as_reworded(product):
    messaging = complete(product)
    reworded = [{**MESSAGES[0], "message": "Launches on time"}, MESSAGES[1]]
    services.messaging_update(messaging_id=messaging.id, key_messages=reworded)
    event = DomainEvent.objects.get(verb="messaging.updated")
    assert event.changes["key_messages"][1] == "2 key messages, 2 proof points (reworded)"


def test_an_update_that_changes_nothing_records_nothing(product):
    messaging = complete(product)
    services.messaging_update(messaging_id=messaging.id, positioning=messaging.positioning, key_messages=MESSAGES)
    assert verbs(messaging) == ["messaging.created"]


def test_submit_moves_a_draft_to_review(product):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    messaging.refresh_from_db()
    assert messaging.status == "in_review" and messaging.submitted_at is not None
    assert verbs(messaging)[-1] == "messaging.submitted"


def test_submitting_an_incomplete_draft_is_a_409_listing_what_is_missing(product):
    messaging = services.messaging_create(
        product=product, positioning="P", objections=[{"objection": "Price", "response": ""}]
    )
    with pytest.raises(services.MessagingIncomplete) as refused:
        services.messaging_submit(messaging_id=messaging.id)
    assert refused.value.status == 409
    assert [row["field"] for row in refused.value.details["missing"]] == [
        "value_proposition",
        "key_messages",
        "objections",
    ]
    messaging.refresh_from_db()
    assert messaging.status == "draft"


@pytest.mark.parametrize("status", ["in_review", "approved"])
def test_submitting_anything_but_a_draft_is_a_409(product, pm, status):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    if status == "approved":
        services.messaging_approve(messaging_id=messaging.id, actor=pm)
    with pytest.raises(services.WrongStatus) as refused:
        services.messaging_submit(messaging_id=messaging.id)
    assert refused.value.status == 409 and refused.value.details["status"] == status


def test_approve_freezes_a_version_in_review_and_records_who(product, pm):
    messaging = approved(product, pm)
    messaging.refresh_from_db()
    assert messaging.status == "approved" and messaging.approved_by == pm and messaging.approved_at is not None
    assert verbs(messaging) == ["messaging.created", "messaging.submitted", "messaging.approved"]


@pytest.mark.parametrize("status", ["draft", "approved"])
def test_approving_anything_not_in_review_is_a_409(product, pm, status):
    messaging = complete(product) if status == "draft" else approved(product, pm)
    with pytest.raises(services.WrongStatus):
        services.messaging_approve(messaging_id=messaging.id, actor=pm)


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_approving_needs_an_admin_or_a_product_manager(product, role):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    with pytest.raises(NotAllowed):
        services.messaging_approve(messaging_id=messaging.id, actor=member(product.portfolio, role))
    messaging.refresh_from_db()
    assert messaging.status == "in_review"


def test_editing_a_version_in_review_sends_it_back_to_draft(product):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    services.messaging_update(messaging_id=messaging.id, value_proposition="Every launch, on time.")
    messaging.refresh_from_db()
    assert messaging.status == "draft" and messaging.submitted_at is None
    event = DomainEvent.objects.get(verb="messaging.updated")
    assert event.changes["status"] == ["in_review", "draft"]


def test_an_edit_that_changes_nothing_leaves_it_in_review(product):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    services.messaging_update(messaging_id=messaging.id, value_proposition=messaging.value_proposition)
    messaging.refresh_from_db()
    assert messaging.status == "in_review"


def test_request_changes_sends_it_back_to_draft_with_the_comment(product, pm):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    services.messaging_request_changes(messaging_id=messaging.id, actor=pm, comment="  Cite a source.  ")
    messaging.refresh_from_db()
    assert messaging.status == "draft"
    event = DomainEvent.objects.get(verb="messaging.changes_requested")
    assert event.data["comment"] == "Cite a source." and event.changes == {"status": ["in_review", "draft"]}


@pytest.mark.parametrize("comment", ["", "   ", None, "x" * 5001, "a\x00b"])
def test_request_changes_needs_a_comment(product, pm, comment):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    with pytest.raises(InvalidInput) as refused:
        services.messaging_request_changes(messaging_id=messaging.id, actor=pm, comment=comment)
    assert "comment" in refused.value.fields


def test_request_changes_on_a_draft_is_a_409(product, pm):
    messaging = complete(product)
    with pytest.raises(services.WrongStatus):
        services.messaging_request_changes(messaging_id=messaging.id, actor=pm, comment="No")


def test_request_changes_needs_a_reviewer(product):
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    with pytest.raises(NotAllowed):
        services.messaging_request_changes(
            messaging_id=messaging.id, actor=member(product.portfolio, Role.MARKETER), comment="Mine"
        )


# --- frozen --------------------------------------------------------------------------------------------


def test_an_approved_version_cannot_be_changed(product, pm):
    messaging = approved(product, pm)
    events_before = DomainEvent.objects.count()
    with pytest.raises(services.MessagingFrozen) as refused:
        services.messaging_update(messaging_id=messaging.id, positioning="Sneaky")
    assert refused.value.status == 409 and "revise" in refused.value.message
    messaging.refresh_from_db()
    assert messaging.positioning.startswith("For launch teams") and DomainEvent.objects.count() == events_before


def test_an_approved_version_cannot_be_deleted(product, pm):
    messaging = approved(product, pm)
    with pytest.raises(services.MessagingFrozen):
        services.messaging_delete(messaging_id=messaging.id)
    assert Messaging.objects.filter(pk=messaging.pk).exists()


@pytest.mark.parametrize("submitted", [False, True])
def test_a_draft_or_a_version_in_review_is_deleted_with_an_event(product, submitted):
    messaging = complete(product)
    if submitted:
        services.messaging_submit(messaging_id=messaging.id)
    deleted = services.messaging_delete(messaging_id=messaging.id)
    assert deleted.pk == messaging.pk and not Messaging.objects.exists()
    assert DomainEvent.objects.filter(verb="messaging.deleted", object_id=messaging.id).exists()


# --- revise --------------------------------------------------------------------------------------------


def test_revise_makes_the_next_version_with_the_same_content(product, pm):
    segment, persona = SegmentFactory(portfolio=product.portfolio), PersonaFactory(portfolio=product.portfolio)
    plan = LaunchPlanFactory(product=product)
    first = approved(product, pm, launch_plan=plan, target_segments=[segment], target_personas=[persona])
    second = services.messaging_revise(messaging_id=first.id, actor=pm)
    second.refresh_from_db()
    assert (second.version, second.status, second.origin_id) == (2, "draft", first.id)
    for name in ("positioning", "value_proposition", "key_messages", "objections", "launch_plan_id", "product_id"):
        assert getattr(second, name) == getattr(first, name), name
    assert list(second.target_segments.all()) == [segment] and list(second.target_personas.all()) == [persona]
    assert second.approved_by is None and second.approved_at is None and second.created_by == pm


def test_revise_records_a_revised_event_on_the_new_version(product, pm):
    first = approved(product, pm)
    second = services.messaging_revise(messaging_id=first.id, actor=pm)
    event = DomainEvent.objects.get(verb="messaging.revised")
    assert event.object_id == second.id and event.data["revised_from"] == first.id
    assert event.changes["version"] == [1, 2]


def test_a_revision_does_not_share_its_rows_with_the_approved_version(product, pm):
    first = approved(product, pm)
    second = services.messaging_revise(messaging_id=first.id)
    services.messaging_update(messaging_id=second.id, key_messages=[{"message": "New", "proof_points": ["p"]}])
    first.refresh_from_db()
    assert first.key_messages == MESSAGES


def test_every_version_of_a_line_shares_the_first_versions_id(product, pm):
    first = approved(product, pm)
    second = services.messaging_revise(messaging_id=first.id)
    services.messaging_submit(messaging_id=second.id)
    services.messaging_approve(messaging_id=second.id, actor=pm)
    third = services.messaging_revise(messaging_id=second.id)
    assert {m.origin_id for m in Messaging.objects.all()} == {first.id}
    assert [m.version for m in services.line_versions(third)] == [3, 2, 1]


def test_revising_an_older_version_is_a_409_naming_the_newer_one(product, pm):
    first = approved(product, pm)
    second = services.messaging_revise(messaging_id=first.id)
    with pytest.raises(services.NewerVersionExists) as refused:
        services.messaging_revise(messaging_id=first.id)
    assert refused.value.details["newer"] == {"id": second.id, "version": 2, "status": "draft"}
    assert "Version 2 (draft) is newer" in refused.value.message
    assert Messaging.objects.count() == 2


@pytest.mark.parametrize("submitted", [False, True])
def test_revising_a_draft_or_a_version_in_review_is_a_409(product, submitted):
    messaging = complete(product)
    if submitted:
        services.messaging_submit(messaging_id=messaging.id)
    with pytest.raises(services.WrongStatus):
        services.messaging_revise(messaging_id=messaging.id)
    assert Messaging.objects.count() == 1


def test_deleting_a_revision_leaves_the_approved_versions(product, pm):
    first = approved(product, pm)
    second = services.messaging_revise(messaging_id=first.id)
    services.messaging_delete(messaging_id=second.id)
    assert list(Messaging.objects.values_list("pk", flat=True)) == [first.id]
    assert services.messaging_revise(messaging_id=first.id).version == 2  # revisable again


def test_the_conflicts_are_conflicts():
    for error in (
        services.MessagingFrozen,
        services.WrongStatus,
        services.NewerVersionExists,
        services.MessagingIncomplete,
    ):
        assert issubclass(error, Conflict) and error.status == 409


# --- the diff ------------------------------------------------------------------------------------------


def revised(product, pm, **changes):
    first = approved(product, pm)
    second = services.messaging_revise(messaging_id=first.id)
    if changes:
        services.messaging_update(messaging_id=second.id, **changes)
    return first, Messaging.objects.get(pk=second.pk)


def test_diff_of_equal_versions_has_no_changes(product, pm):
    first, second = revised(product, pm)
    result = diff.messaging_diff(first, second)
    assert result["changed"] is False
    assert result["from"] == {"id": first.id, "version": 1, "status": "approved"}
    assert result["to"] == {"id": second.id, "version": 2, "status": "draft"}


def test_diff_marks_words_added_and_removed_in_the_positioning(product, pm):
    first, second = revised(
        product, pm, positioning="For launch teams who lose track, Nebula is the calm launch tracker."
    )
    field = diff.messaging_diff(first, second)["fields"]["positioning"]
    assert field["changed"] is True
    assert {"op": "insert", "text": "calm "} in field["ops"]
    assert "".join(op["text"] for op in field["ops"] if op["op"] != "insert") == first.positioning
    assert "".join(op["text"] for op in field["ops"] if op["op"] != "delete") == second.positioning


def test_diff_of_key_messages_tells_added_removed_and_reworded_rows_and_proof_points(product, pm):
    new_messages = [
        {"message": "Every launch ready on time", "proof_points": ["Fewer slips", "Used by 40 teams"]},
        {"message": "Tells you what is late", "proof_points": ["Daily digest"]},
    ]
    first, second = revised(product, pm, key_messages=new_messages)
    field = diff.messaging_diff(first, second)["fields"]["key_messages"]
    changes = [(row["change"], (row["new"] or row["old"])["message"]) for row in field["rows"]]
    assert changes == [
        ("changed", "Every launch ready on time"),
        ("removed", "One place for the whole team"),
        ("added", "Tells you what is late"),
    ]
    points = [(p["change"], p["old"], p["new"]) for p in field["rows"][0]["proof_points"]]
    assert points == [
        ("unchanged", "Fewer slips", "Fewer slips"),
        ("removed", "One checklist", None),
        ("added", None, "Used by 40 teams"),
    ]
    assert (field["added"], field["removed"], field["modified"]) == (1, 1, 1)


def test_diff_pairs_a_reworded_message_with_its_old_self(product, pm):
    reworded = [
        {"message": "Every launch is ready on time", "proof_points": ["Fewer slips", "One checklist"]},
        MESSAGES[1],
    ]
    first, second = revised(product, pm, key_messages=reworded)
    row = diff.messaging_diff(first, second)["fields"]["key_messages"]["rows"][0]
    assert row["change"] == "changed"
    assert {"op": "insert", "text": "is "} in row["message"]


def test_diff_of_objections_shows_the_response_changes(product, pm):
    first, second = revised(
        product,
        pm,
        objections=[
            {"objection": "We use a spreadsheet", "response": "It cannot tell you what is late or who owns it."}
        ],
    )
    row = diff.messaging_diff(first, second)["fields"]["objections"]["rows"][0]
    assert row["change"] == "changed" and row["objection"] == [{"op": "equal", "text": "We use a spreadsheet"}]
    assert any(op["op"] == "insert" and "owns" in op["text"] for op in row["response"])


def test_diff_of_segments_and_personas_names_added_and_removed(product, pm):
    kept, gone, new = (SegmentFactory(portfolio=product.portfolio, name=n) for n in ("Kept", "Gone", "New"))
    first = approved(product, pm, target_segments=[kept, gone])
    second = services.messaging_revise(messaging_id=first.id)
    services.messaging_update(messaging_id=second.id, target_segments=[kept, new])
    field = diff.messaging_diff(first, second)["fields"]["target_segments"]
    assert field == {
        "changed": True,
        "added": [{"id": new.id, "name": "New"}],
        "removed": [{"id": gone.id, "name": "Gone"}],
        "unchanged": [{"id": kept.id, "name": "Kept"}],
    }


def test_diff_html_escapes_the_text_and_marks_ins_and_del(product, pm):
    first, second = revised(product, pm, positioning="For <b>launch</b> teams.")
    html = diff.with_html(diff.messaging_diff(first, second))["fields"]["positioning"]["html"]
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "<ins>" in html and "<del>" in html


def test_a_long_text_without_sentences_is_compared_whole_and_fast():
    import time

    old = " ".join(f"word{i % 997}" for i in range(3300))
    new = old.replace("word5 ", "changed ")
    started = time.monotonic()
    ops = diff.text_ops(old, new)
    assert time.monotonic() - started < 1
    assert "".join(op["text"] for op in ops if op["op"] != "insert") == old


def test_factory_lines_are_their_own_origin():
    messaging = MessagingFactory()
    assert messaging.origin_id == messaging.id


def test_events_name_the_segments_and_personas(product):
    first, second = (SegmentFactory(portfolio=product.portfolio, name=n) for n in ("Retail", "Logistics"))
    messaging = services.messaging_create(product=product, target_segments=[first])
    services.messaging_update(messaging_id=messaging.id, target_segments=[first, second])
    event = DomainEvent.objects.get(verb="messaging.updated")
    assert event.changes["target_segments"] == ["Retail", "Logistics, Retail"]


# --- concurrent writers (PostgreSQL) -------------------------------------------------------------------


def run_together(*calls) -> list:
    """Each call in its own thread (its own connection), released together; what each returned or raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a thread hit
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting: a lock never released"
    return outcomes


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_revisions_of_one_version_at_once_make_one_draft(attempt):
    product = ProductFactory()
    first = approved(product, None)
    outcomes = run_together(*(lambda: services.messaging_revise(messaging_id=first.id) for _ in range(3)))
    made = [o for o in outcomes if isinstance(o, Messaging)]
    refused = [o for o in outcomes if isinstance(o, services.NewerVersionExists)]
    assert len(made) == 1 and len(refused) == 2, outcomes
    assert sorted(Messaging.objects.values_list("version", flat=True)) == [1, 2]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_an_edit_and_an_approval_at_once_never_approve_unseen_words(attempt):
    product = ProductFactory()
    messaging = complete(product)
    services.messaging_submit(messaging_id=messaging.id)
    outcomes = run_together(
        lambda: services.messaging_update(messaging_id=messaging.id, positioning="Edited during review."),
        lambda: services.messaging_approve(messaging_id=messaging.id),
    )
    messaging.refresh_from_db()
    if messaging.status == "approved":  # the approval went first: the edit met a frozen version
        assert isinstance(outcomes[0], services.MessagingFrozen) and not messaging.positioning.startswith("Edited")
    else:  # the edit went first: it is a draft again, and the approval met a draft
        assert isinstance(outcomes[1], services.WrongStatus) and messaging.status == "draft"
