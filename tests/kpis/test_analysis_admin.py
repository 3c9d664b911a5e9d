"""The admin writes the analysis thresholds through products.services.analysis_settings: its ranges as form
errors, one event per write, no delete (a portfolio always has its thresholds)."""

from decimal import Decimal

import pytest

from products.models import AnalysisSettings, DomainEvent
from products.services.analysis_settings import analysis_settings_of
from tests.factories import PortfolioFactory, UserFactory

pytestmark = pytest.mark.django_db
FORM = {
    "retire_falling_quarters": "3",
    "extend_segment_min_growth_pct": "12.5",
    "extend_segment_min_priority": "5",
    "extend_demand_min_growth_pct": "30",
}


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_add_goes_through_the_service(staff):
    portfolio = PortfolioFactory()
    response = staff.post("/admin/products/analysissettings/add/", {"portfolio": portfolio.id, **FORM})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = AnalysisSettings.objects.get(portfolio=portfolio)
    assert (row.retire_falling_quarters, row.extend_segment_min_growth_pct) == (3, Decimal("12.5"))
    assert DomainEvent.objects.filter(verb="analysis_settings.created", object_id=row.id).count() == 1


def test_admin_change_records_what_changed(staff):
    row = analysis_settings_of(PortfolioFactory())
    response = staff.post(f"/admin/products/analysissettings/{row.id}/change/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = DomainEvent.objects.get(verb="analysis_settings.updated")
    assert event.changes["extend_segment_min_priority"] == [4, 5]


def test_admin_out_of_range_is_a_form_error_and_nothing_changes(staff):
    row = analysis_settings_of(PortfolioFactory())
    response = staff.post(
        f"/admin/products/analysissettings/{row.id}/change/", {**FORM, "retire_falling_quarters": "13"}
    )
    assert response.status_code == 200 and "Whole quarters from 1 to 12." in response.content.decode()
    row.refresh_from_db()
    assert (
        row.retire_falling_quarters == 2 and not DomainEvent.objects.filter(verb="analysis_settings.updated").exists()
    )


def test_admin_does_not_delete_thresholds(staff):
    row = analysis_settings_of(PortfolioFactory())
    assert staff.post(f"/admin/products/analysissettings/{row.id}/delete/", {"post": "yes"}).status_code == 403
    assert AnalysisSettings.objects.filter(pk=row.pk).exists()
