"""The roadmap's services: the item rules, the ranks of the board's columns, the events every write
records, shipping a release, and the dependency graph."""

from datetime import date

import pytest

from pmflow.errors import InvalidInput
from products.models import DomainEvent, Feedback, Idea
from roadmap import services
from roadmap.models import Release, RoadmapDependency, RoadmapItem
from tests.factories import (
    PortfolioFactory,
    ProductFactory,
    ReleaseFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def manager(product):
    return member(product.portfolio, "product_manager")


def create(product, **fields):
    fields.setdefault("title", "An item")
    return services.roadmap_item_create(product=product, **fields)


def refused(call, **kwargs) -> dict:
    """The field messages of the InvalidInput `call(**kwargs)` raises."""
    with pytest.raises(InvalidInput) as caught:
        call(**kwargs)
    return caught.value.fields


def column(product, horizon) -> list[tuple[str, int]]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon).order_by("rank").values_list("title", "rank")
    )


def ranks(product, horizon) -> list[int]:
    return [rank for _, rank in column(product, horizon)]


# --- hierarchy and the other item rules -------------------------------------------------------------


@pytest.mark.parametrize(
    "parent_kind, kind, allowed",
    [
        ("initiative", "feature", True),
        ("initiative", "requirement", True),
        ("feature", "requirement", True),
        ("feature", "feature", False),
        ("feature", "initiative", False),
        ("requirement", "requirement", False),
        ("requirement", "feature", False),
        ("initiative", "initiative", False),
    ],
)
def test_a_parent_is_of_a_higher_kind(product, parent_kind, kind, allowed):
    parent = create(product, kind=parent_kind, title="Parent")
    if allowed:
        assert create(product, kind=kind, parent=parent).parent == parent
    else:
        assert "parent" in refused(create, product=product, kind=kind, parent=parent)
        assert RoadmapItem.objects.filter(product=product).count() == 1


def test_a_parent_of_another_product_is_refused(product):
    other = create(ProductFactory(portfolio=product.portfolio), kind="initiative")
    fields = refused(create, product=product, kind="feature", parent=other)
    assert fields["parent"] == "The parent is an item of another product."


def test_an_item_cannot_become_its_own_parent(product):
    item = create(product, kind="feature")
    assert "parent" in refused(services.roadmap_item_update, item_id=item.id, parent=item)


def test_a_kind_change_is_refused_while_a_child_would_no_longer_be_of_a_lower_kind(product):
    initiative = create(product, kind="initiative")
    create(product, kind="feature", parent=initiative)
    fields = refused(services.roadmap_item_update, item_id=initiative.id, kind="feature")
    assert "kind" in fields and "1 child item(s) of kind feature" in fields["kind"]
    initiative.refresh_from_db()
    assert initiative.kind == "initiative"


def test_a_kind_change_that_keeps_the_children_lower_is_allowed(product):
    feature = create(product, kind="feature")
    create(product, kind="requirement", parent=feature)
    assert services.roadmap_item_update(item_id=feature.id, kind="initiative").kind == "initiative"


def test_a_kind_change_above_the_parent_is_refused_on_kind(product):
    initiative = create(product, kind="initiative")
    feature = create(product, kind="feature", parent=initiative)
    fields = refused(services.roadmap_item_update, item_id=feature.id, kind="initiative")
    assert "kind" in fields  # the field that was sent, not the parent that was not
    feature.refresh_from_db()
    assert feature.kind == "feature"


def test_a_release_of_another_product_is_refused(product):
    release = ReleaseFactory(product=ProductFactory(portfolio=product.portfolio))
    assert refused(create, product=product, release=release) == {"release": "The release belongs to another product."}
    item = create(product)
    assert "release" in refused(services.roadmap_item_update, item_id=item.id, release=release)
    item.refresh_from_db()
    assert item.release is None


def test_an_end_date_before_the_start_date_is_refused(product):
    fields = refused(create, product=product, start_date=date(2026, 5, 2), end_date=date(2026, 5, 1))
    assert "end_date" in fields


def test_an_end_date_moved_before_the_stored_start_date_is_refused(product):
    item = create(product, start_date=date(2026, 5, 2), end_date=date(2026, 6, 1))
    assert "end_date" in refused(services.roadmap_item_update, item_id=item.id, end_date=date(2026, 5, 1))
    assert services.roadmap_item_update(item_id=item.id, end_date=date(2026, 5, 2)).end_date == date(2026, 5, 2)


@pytest.mark.parametrize("kind", ["initiative", "feature"])
def test_only_requirements_are_regulatory(product, kind):
    fields = refused(create, product=product, kind=kind, regulatory=True, regulation="GDPR Art. 17")
    assert fields == {"regulatory": "Only requirements are marked regulatory."}


def test_a_regulatory_requirement_names_its_regulation(product):
    assert "regulation" in refused(create, product=product, kind="requirement", regulatory=True)
    assert "regulation" in refused(create, product=product, kind="requirement", regulatory=True, regulation="  ")
    item = create(product, kind="requirement", regulatory=True, regulation="GDPR Art. 17")
    assert (item.regulatory, item.regulation) == (True, "GDPR Art. 17")


def test_a_regulatory_requirement_cannot_drop_its_regulation_or_become_a_feature(product):
    item = create(product, kind="requirement", regulatory=True, regulation="GDPR Art. 17")
    assert "regulation" in refused(services.roadmap_item_update, item_id=item.id, regulation="")
    assert "regulatory" in refused(services.roadmap_item_update, item_id=item.id, kind="feature")


def test_the_owner_must_be_a_member_of_the_portfolio(product, manager):
    stranger = member(product.portfolio, None)  # an admin elsewhere
    assert "owner" in refused(create, product=product, owner=stranger)
    assert create(product, owner=manager).owner == manager


def test_an_owner_is_found_by_username_among_members_only(product, manager):
    assert services.owner_by_username(portfolio_id=product.portfolio_id, username=manager.username) == manager
    assert services.owner_by_username(portfolio_id=product.portfolio_id, username="") is None
    stranger = UserFactory()
    fields = refused(services.owner_by_username, portfolio_id=product.portfolio_id, username=stranger.username)
    assert "owner" in fields


def test_every_broken_rule_is_reported_at_once(product):
    fields = refused(
        create, product=product, title=" ", confidence=101, start_date=date(2026, 2, 2), end_date=date(2026, 1, 1)
    )
    assert {"title", "confidence", "end_date"} <= set(fields)
    assert not RoadmapItem.objects.exists()


# --- ranks -------------------------------------------------------------------------------------------


def test_create_appends_to_its_column(product):
    for title in "abc":
        create(product, title=title, horizon="now")
    create(product, title="x", horizon="next")
    assert column(product, "now") == [("a", 0), ("b", 1), ("c", 2)]
    assert column(product, "next") == [("x", 0)]


def test_columns_are_per_product(product):
    create(product, title="mine", horizon="now")
    other = create(ProductFactory(portfolio=product.portfolio), title="theirs", horizon="now")
    assert other.rank == 0


def test_a_move_within_a_column_renumbers_it(product):
    items = [create(product, title=t, horizon="now") for t in "abcd"]
    services.roadmap_item_move(item_id=items[3].id, horizon="now", position=1)
    assert column(product, "now") == [("a", 0), ("d", 1), ("b", 2), ("c", 3)]
    services.roadmap_item_move(item_id=items[0].id, horizon="now", position=2)
    assert column(product, "now") == [("d", 0), ("b", 1), ("a", 2), ("c", 3)]


def test_a_move_across_columns_keeps_both_dense(product):
    now = [create(product, title=t, horizon="now") for t in "abc"]
    for t in "xy":
        create(product, title=t, horizon="next")
    moved = services.roadmap_item_move(item_id=now[1].id, horizon="next", position=1)
    assert (moved.horizon, moved.rank) == ("next", 1)
    assert column(product, "now") == [("a", 0), ("c", 1)]
    assert column(product, "next") == [("x", 0), ("b", 1), ("y", 2)]


def test_a_move_past_the_end_puts_the_item_last(product):
    items = [create(product, title=t, horizon="later") for t in "abc"]
    services.roadmap_item_move(item_id=items[0].id, horizon="later", position=99)
    assert column(product, "later") == [("b", 0), ("c", 1), ("a", 2)]
    services.roadmap_item_move(item_id=items[1].id, horizon="now", position=5)
    assert column(product, "now") == [("b", 0)]
    assert ranks(product, "later") == [0, 1]


@pytest.mark.parametrize("horizon, position, field", [("soon", 0, "horizon"), ("now", -1, "position")])
def test_a_move_to_an_unknown_horizon_or_a_negative_position_is_refused(product, horizon, position, field):
    item = create(product, horizon="now")
    assert field in refused(services.roadmap_item_move, item_id=item.id, horizon=horizon, position=position)


def test_a_horizon_change_by_update_puts_it_last_there_and_closes_the_gap(product):
    now = [create(product, title=t, horizon="now") for t in "abc"]
    create(product, title="x", horizon="next")
    updated = services.roadmap_item_update(item_id=now[0].id, horizon="next")
    assert (updated.horizon, updated.rank) == ("next", 1)
    assert column(product, "now") == [("b", 0), ("c", 1)]
    assert column(product, "next") == [("x", 0), ("a", 1)]


def test_delete_closes_the_gap(product):
    items = [create(product, title=t, horizon="now") for t in "abcd"]
    assert services.roadmap_item_delete(item_id=items[1].id) == "b"
    assert column(product, "now") == [("a", 0), ("c", 1), ("d", 2)]


def test_delete_keeps_the_children_without_a_parent_and_drops_the_dependencies(product):
    initiative = create(product, kind="initiative")
    feature = create(product, kind="feature", parent=initiative)
    services.dependency_create(item=feature, depends_on=initiative)
    services.roadmap_item_delete(item_id=initiative.id)
    feature.refresh_from_db()
    assert feature.parent is None and not RoadmapDependency.objects.exists()


# --- events ------------------------------------------------------------------------------------------


def events(verb):
    return list(DomainEvent.objects.filter(verb=verb).order_by("id"))


def test_create_records_roadmap_item_created(product, manager):
    item = create(product, kind="feature", horizon="now", actor=manager)
    (event,) = events("roadmap_item.created")
    assert (event.object_type, event.object_id, event.actor, event.portfolio_id) == (
        "roadmap_item",
        item.id,
        manager,
        product.portfolio_id,
    )
    assert event.changes == {"kind": [None, "feature"], "status": [None, "proposed"], "horizon": [None, "now"]}


def test_update_records_what_changed_and_nothing_when_nothing_did(product, manager):
    item = create(product, reach=10)
    services.roadmap_item_update(item_id=item.id, actor=manager, reach=20, title=item.title)
    (event,) = events("roadmap_item.updated")
    assert event.changes == {"reach": [10, 20]} and event.actor == manager
    services.roadmap_item_update(item_id=item.id, actor=manager, reach=20)
    assert len(events("roadmap_item.updated")) == 1


def test_move_records_roadmap_item_moved_with_the_old_and_new_place(product, manager):
    a = create(product, title="a", horizon="now")
    create(product, title="b", horizon="now")
    services.roadmap_item_move(item_id=a.id, horizon="next", position=0, actor=manager)
    (event,) = events("roadmap_item.moved")
    assert event.changes == {"horizon": ["now", "next"], "rank": [0, 0]} and event.actor == manager


def test_a_move_to_where_the_item_is_records_nothing(product):
    a = create(product, horizon="now")
    services.roadmap_item_move(item_id=a.id, horizon="now", position=0)
    assert events("roadmap_item.moved") == []


def test_delete_records_roadmap_item_deleted(product, manager):
    item = create(product, kind="initiative", horizon="next")
    create(product, kind="feature", parent=item)
    services.roadmap_item_delete(item_id=item.id, actor=manager)
    (event,) = events("roadmap_item.deleted")
    assert event.object_id == item.id and event.data == {"kind": "initiative", "horizon": "next", "children_kept": 1}


# --- releases: shipping -----------------------------------------------------------------------------


@pytest.fixture
def release(product):
    return services.release_create(product=product, version="2.0", name="Aurora")


def test_a_release_with_open_items_is_a_409_listing_them(product, release):
    done = create(product, title="done", release=release, status="done")
    dropped = create(product, title="dropped", release=release, status="dropped")
    open_ = create(product, title="open", release=release, status="in_progress")
    proposed = create(product, title="proposed", release=release)
    create(product, title="elsewhere", status="planned")  # not in the release
    with pytest.raises(services.ReleaseHasOpenItems) as caught:
        services.release_ship(release_id=release.id)
    assert caught.value.status == 409
    listed = caught.value.details["open_items"]
    assert sorted(listed, key=lambda row: row["id"]) == [
        {"id": open_.id, "title": "open", "status": "in_progress"},
        {"id": proposed.id, "title": "proposed", "status": "proposed"},
    ]
    assert {done.id, dropped.id}.isdisjoint(row["id"] for row in listed)
    release.refresh_from_db()
    assert release.status == "planned" and release.shipped_at is None


def test_a_release_whose_items_are_done_or_dropped_ships(product, release, manager):
    create(product, release=release, status="done")
    create(product, release=release, status="dropped")
    shipped = services.release_ship(release_id=release.id, actor=manager)
    shipped.refresh_from_db()
    assert shipped.status == "shipped" and shipped.shipped_at is not None and shipped.shipped_by == manager


def test_shipping_twice_is_a_409(release):
    services.release_ship(release_id=release.id)
    with pytest.raises(services.ReleaseAlreadyShipped) as caught:
        services.release_ship(release_id=release.id)
    assert caught.value.status == 409


def test_an_override_needs_a_reason(product, release):
    create(product, release=release, status="planned")
    for reason in ("", "   "):
        assert "reason" in refused(services.release_ship, release_id=release.id, override=True, reason=reason)
    release.refresh_from_db()
    assert release.status == "planned"


def test_an_override_with_a_reason_ships_and_keeps_the_reason(product, release, manager):
    item = create(product, release=release, status="planned")
    services.release_ship(release_id=release.id, actor=manager, override=True, reason=" Security fix now ")
    release.refresh_from_db()
    assert (release.status, release.ship_reason) == ("shipped", "Security fix now")
    (event,) = events("release.shipped")
    assert event.data == {
        "product": product.id,
        "version": "2.0",
        "override": True,
        "reason": "Security fix now",
        "open_items": [{"id": item.id, "title": item.title, "status": "planned"}],
    }
    assert event.changes["status"] == ["planned", "shipped"] and event.actor == manager


def test_release_shipped_event_of_a_clean_ship(product, release):
    services.release_ship(release_id=release.id)
    (event,) = events("release.shipped")
    assert event.object_id == release.id and event.actor is None
    assert event.data == {"product": product.id, "version": "2.0", "override": False, "reason": "", "open_items": []}


def test_a_version_is_unique_per_product(product, release):
    assert refused(services.release_create, product=product, version=" 2.0 ") == {"version": services.releases.TAKEN}
    assert services.release_create(product=ProductFactory(), version="2.0").version == "2.0"
    assert Release.objects.filter(product=product).count() == 1


def test_deleting_a_release_keeps_its_items(product, release):
    item = create(product, release=release)
    assert services.release_delete(release_id=release.id) == "2.0"
    item.refresh_from_db()
    assert item.release is None


# --- dependencies -----------------------------------------------------------------------------------


@pytest.fixture
def chain(product):
    """a, b, c, d in one product."""
    return [create(product, title=t) for t in "abcd"]


def test_an_item_cannot_depend_on_itself(chain):
    assert "depends_on" in refused(services.dependency_create, item=chain[0], depends_on=chain[0])


def test_a_duplicate_dependency_is_refused(chain):
    services.dependency_create(item=chain[0], depends_on=chain[1])
    assert "depends_on" in refused(services.dependency_create, item=chain[0], depends_on=chain[1], kind="relates")
    assert RoadmapDependency.objects.count() == 1


def test_a_dependency_on_another_portfolio_is_refused(chain):
    foreign = create(ProductFactory(portfolio=PortfolioFactory()))
    assert refused(services.dependency_create, item=chain[0], depends_on=foreign) == {
        "depends_on": "The item belongs to another portfolio."
    }


def test_a_dependency_across_products_of_one_portfolio_is_allowed(product, chain):
    sibling = create(ProductFactory(portfolio=product.portfolio))
    assert services.dependency_create(item=chain[0], depends_on=sibling).depends_on == sibling


def test_an_unknown_kind_is_refused(chain):
    assert "kind" in refused(services.dependency_create, item=chain[0], depends_on=chain[1], kind="loves")


def test_a_blocks_edge_that_closes_a_cycle_names_it_in_order(chain):
    a, b, c, d = chain
    services.dependency_create(item=a, depends_on=b)
    services.dependency_create(item=b, depends_on=c)
    services.dependency_create(item=c, depends_on=d)
    with pytest.raises(InvalidInput) as caught:
        services.dependency_create(item=d, depends_on=a)
    # d → a (the new edge), a → b → c → d (the existing ones): first = last.
    assert caught.value.details["cycle"] == [d.id, a.id, b.id, c.id, d.id]
    assert caught.value.as_dict()["cycle"] == [d.id, a.id, b.id, c.id, d.id]
    assert "“d” → “a” → “b” → “c” → “d”" in caught.value.fields["depends_on"]
    assert RoadmapDependency.objects.count() == 3


def test_a_two_item_cycle(chain):
    a, b, *_ = chain
    services.dependency_create(item=a, depends_on=b)
    with pytest.raises(InvalidInput) as caught:
        services.dependency_create(item=b, depends_on=a)
    assert caught.value.details["cycle"] == [b.id, a.id, b.id]


def test_a_diamond_is_not_a_cycle(chain):
    a, b, c, d = chain
    for item, depends_on in [(a, b), (a, c), (b, d), (c, d)]:
        services.dependency_create(item=item, depends_on=depends_on)
    assert RoadmapDependency.objects.count() == 4


def test_relates_edges_never_make_a_cycle(chain):
    a, b, c, _ = chain
    services.dependency_create(item=a, depends_on=b, kind="relates")
    services.dependency_create(item=b, depends_on=a, kind="relates")
    services.dependency_create(item=b, depends_on=c)
    services.dependency_create(item=c, depends_on=b, kind="relates")  # a blocks edge back, but it only relates
    assert RoadmapDependency.objects.count() == 4


def test_a_blocks_edge_is_not_a_cycle_through_relates_edges(chain):
    a, b, c, _ = chain
    services.dependency_create(item=a, depends_on=b, kind="relates")
    services.dependency_create(item=b, depends_on=c)
    assert services.dependency_create(item=c, depends_on=a).kind == "blocks"


def test_dependency_writes_record_events(chain, manager):
    dependency = services.dependency_create(item=chain[0], depends_on=chain[1], actor=manager)
    services.dependency_delete(dependency_id=dependency.id, actor=manager)
    created, deleted = events("roadmap_dependency.created"), events("roadmap_dependency.deleted")
    assert created[0].data == {"item": chain[0].id, "depends_on": chain[1].id}
    assert deleted[0].data == {"item": chain[0].id, "depends_on": chain[1].id, "kind": "blocks"}


# --- scoring weights ----------------------------------------------------------------------------------


def test_weights_outside_minus_100_to_100_are_refused(product):
    fields = refused(services.scoring_weights_save, portfolio=product.portfolio, value=101, effort=-100)
    assert set(fields) == {"value"}


def test_saving_weights_keeps_the_others_and_records_the_change(product):
    services.scoring_weights_save(portfolio=product.portfolio, effort=-3)
    weights = services.scoring_weights_of(product.portfolio)
    assert (float(weights.effort), float(weights.value)) == (-3, 3)
    (event,) = events("scoring_weights.updated")
    assert event.changes == {"effort": ["-2", "-3"]}  # decimals as text, as the history shows them


# --- events of every other write -----------------------------------------------------------------------


def test_an_update_that_only_links_ideas_and_feedback_records_it(product, manager):
    item = create(product)
    idea = Idea.objects.create(product=product, title="Offline mode")
    note = Feedback.objects.create(product=product, text="Needs offline", received_on=date(2026, 1, 5))
    services.roadmap_item_update(item_id=item.id, actor=manager, ideas=[idea], feedback=[note])
    (event,) = events("roadmap_item.updated")
    assert event.changes == {"ideas": [[], [idea.id]], "feedback": [[], [note.id]]} and event.actor == manager
    services.roadmap_item_update(item_id=item.id, ideas=[idea])  # the same links: nothing to record
    assert len(events("roadmap_item.updated")) == 1


def test_a_move_before_a_card_records_roadmap_item_moved(product, manager):
    a, b = create(product, title="a", horizon="now"), create(product, title="b", horizon="now")
    services.roadmap_item_move_before(item_id=b.id, horizon="now", before_id=a.id, actor=manager)
    (event,) = events("roadmap_item.moved")
    assert (event.object_id, event.changes, event.actor) == (b.id, {"rank": [1, 0]}, manager)


def test_a_move_before_a_card_gone_from_the_column_moves_and_records_nothing(product):
    a, b = create(product, title="a", horizon="now"), create(product, title="b", horizon="next")
    with pytest.raises(services.BoardChanged):
        services.roadmap_item_move_before(item_id=a.id, horizon="now", before_id=b.id)
    assert events("roadmap_item.moved") == [] and column(product, "now") == [("a", 0)]


def test_release_writes_record_created_updated_and_deleted(product, manager):
    release = services.release_create(product=product, version="3.0", target_date=date(2026, 6, 1), actor=manager)
    services.release_update(release_id=release.id, name="Comet", actor=manager)
    services.release_update(release_id=release.id, name="Comet", actor=manager)  # no change, no event
    create(product, release=release)
    services.release_delete(release_id=release.id, actor=manager)
    (created,), (updated,), (deleted,) = events("release.created"), events("release.updated"), events("release.deleted")
    assert created.changes == {"version": [None, "3.0"], "target_date": [None, "2026-06-01"]}
    assert updated.changes == {"name": ["", "Comet"]}
    assert (deleted.object_id, deleted.data) == (release.id, {"version": "3.0", "items_kept": 1})
    assert {created.actor, updated.actor, deleted.actor} == {manager}


def test_the_first_save_of_weights_records_the_change_from_the_defaults(product):
    admin = member(product.portfolio, "admin")
    services.scoring_weights_save(portfolio=product.portfolio, actor=admin, value=5)
    (event,) = events("scoring_weights.updated")
    assert (event.changes, event.actor, event.portfolio_id) == ({"value": ["3", "5"]}, admin, product.portfolio_id)


# --- plan dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2201, 1, 1), date(9999, 12, 31)])
def test_a_plan_date_outside_1900_to_2200_is_refused(product, day):
    assert set(refused(services.roadmap_item_create, product=product, title="T", start_date=day)) == {"start_date"}
    assert set(refused(services.roadmap_item_create, product=product, title="T", end_date=day)) == {"end_date"}
    assert set(refused(services.release_create, product=product, version="1", target_date=day)) == {"target_date"}
    assert not RoadmapItem.objects.exists() and not Release.objects.exists()
