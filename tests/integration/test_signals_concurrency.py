"""Several workers refresh the same portfolio's signals at the same moment (threads with their own PostgreSQL
connections): one signal opens, with one `signal.opened` event and one notification per person; when the
condition goes, one `signal.resolved`."""

import threading

import pytest
from django.db import connection

from kpis.models import Signal
from kpis.services.signals import signals_refresh
from products.models import DomainEvent, Notification, Role
from tests.factories import member
from tests.kpis.signals_data import TODAY, campaign_case, weeks_back

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
WORKERS = 4


def _at_once(target, times: int) -> list:
    barrier = threading.Barrier(times)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except BaseException as exc:  # noqa: BLE001 - the test judges whatever a thread got
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_workers_refreshing_at_once_open_one_signal_and_tell_each_person_once(attempt):
    campaign, kpis = campaign_case()
    portfolio = campaign.product.portfolio
    marketer = member(portfolio, Role.MARKETER)
    results = _at_once(lambda: signals_refresh(portfolio_id=portfolio.id, today=TODAY), WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r["opened"] for r in results) == 1
    assert Signal.objects.filter(portfolio=portfolio).count() == 1
    assert DomainEvent.objects.filter(verb="signal.opened").count() == 1
    assert Notification.objects.filter(user=marketer, kind="signal").count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_workers_resolving_at_once_record_one_resolution(attempt):
    campaign, kpis = campaign_case()
    portfolio = campaign.product.portfolio
    signals_refresh(portfolio_id=portfolio.id, today=TODAY)
    kpis["conversion"].rollups.filter(granularity="week", period_start=weeks_back(1)).update(value=5)
    results = _at_once(lambda: signals_refresh(portfolio_id=portfolio.id, today=TODAY), WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r["resolved"] for r in results) == 1
    assert DomainEvent.objects.filter(verb="signal.resolved").count() == 1
    assert Signal.objects.get().resolved_at is not None
