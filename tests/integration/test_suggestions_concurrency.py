"""Several workers evaluate the same product at the same moment (threads with their own PostgreSQL
connections): a suggest rule writes exactly one suggestion, an auto rule exactly one move; two people
accepting the same suggestion at once give one move and one 409."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pmflow.errors import Conflict
from products.models import Stage, StageSuggestion, StageTransition
from products.services.rules import lifecycle_rules_run
from products.services.suggestions import suggestion_accept
from tests.factories import LifecycleRuleFactory, ProductFactory, ReleaseFactory, StageSuggestionFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
WORKERS = 4


def _shipped_product(mode: str):
    """A product in Launch with a release shipped during its stay, and a release_shipped rule in `mode`."""
    product = ProductFactory(stage=Stage.LAUNCH, stage_changed_at=timezone.now() - timedelta(days=3))
    ReleaseFactory(product=product, status="shipped", shipped_at=timezone.now() - timedelta(days=1))
    LifecycleRuleFactory(
        portfolio=product.portfolio, condition_type="release_shipped", params={}, mode=mode, name=f"Shipped ({mode})"
    )
    return product


def _at_once(target, args_list) -> list:
    """Run `target(*args)` in one thread each, released together; the results (or exceptions) in a list."""
    barrier = threading.Barrier(len(args_list))
    results: list = []

    def run(args):
        try:
            barrier.wait(timeout=10)
            results.append(target(*args))
        except BaseException as exc:  # noqa: BLE001 - the test judges whatever a thread got
            results.append(exc)
        finally:
            connection.close()  # this thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=run, args=(args,)) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_workers_evaluating_a_suggest_rule_at_once_write_one_suggestion(attempt):
    product = _shipped_product("suggest")
    results = _at_once(lambda: lifecycle_rules_run(product_id=product.id), [()] * WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(len(r["suggestions"]) for r in results) == 1
    assert StageSuggestion.objects.filter(product=product).count() == 1
    assert not StageTransition.objects.filter(product=product).exists()


@pytest.mark.parametrize("attempt", range(3))
def test_workers_evaluating_an_auto_rule_at_once_make_one_move(attempt):
    product = _shipped_product("auto")
    results = _at_once(lambda: lifecycle_rules_run(product_id=product.id), [()] * WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r["move"] is not None for r in results) == 1
    assert StageTransition.objects.filter(product=product, rule__isnull=False).count() == 1
    product.refresh_from_db()
    assert product.stage == Stage.GROWTH


@pytest.mark.parametrize("attempt", range(3))
def test_two_people_accepting_at_once_give_one_move_and_one_conflict(attempt):
    suggestion = StageSuggestionFactory()
    people = [UserFactory(), UserFactory()]
    results = _at_once(
        lambda person: suggestion_accept(suggestion_id=suggestion.id, actor=person), [(p,) for p in people]
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "StageTransition"], results
    assert isinstance(next(r for r in results if isinstance(r, BaseException)), Conflict)
    assert StageTransition.objects.filter(product=suggestion.product).count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "accepted" and suggestion.transition is not None


@pytest.mark.parametrize("attempt", range(3))
def test_accepting_while_a_worker_moves_the_product_gives_one_move(attempt):
    """A worker's auto rule and a person's accept race: whichever locks the product first moves it; the
    other finds the product gone from the stage (the suggestion expired or the stage stale)."""
    product = _shipped_product("auto")
    suggestion = StageSuggestionFactory(product=product, to_stage=Stage.MATURITY)
    person = UserFactory()

    def accept():
        return suggestion_accept(suggestion_id=suggestion.id, actor=person)

    def evaluate():
        return lifecycle_rules_run(product_id=product.id)["move"]

    results = _at_once(lambda which: which(), [(accept,), (evaluate,)])
    moves = StageTransition.objects.filter(product=product)
    assert moves.count() == 1, results
    product.refresh_from_db()
    suggestion.refresh_from_db()
    if moves.get().to_stage == Stage.MATURITY:
        assert suggestion.status == "accepted" and product.stage == Stage.MATURITY
    else:
        assert suggestion.status == "expired" and product.stage == Stage.GROWTH
