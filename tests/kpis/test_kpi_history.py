"""A KPI's page shows its change history from the domain events."""

import pytest

from kpis.services import kpi_save
from tests.factories import KPIFactory, member

pytestmark = pytest.mark.django_db


def test_the_kpi_page_shows_a_changed_target(client):
    kpi = KPIFactory(name="Activation rate", target=10)
    user = member(kpi.product.portfolio, "product_manager")
    kpi_save(kpi=kpi, actor=user, target=12)
    client.force_login(user)
    page = client.get(f"/kpis/{kpi.id}/").content.decode()
    history = page[page.index("<h2>Changes</h2>") :]
    assert "Target: 10 → 12" in history and user.username in history


def test_a_kpi_without_changes_says_so(client):
    kpi = KPIFactory()
    client.force_login(member(kpi.product.portfolio, "viewer"))
    page = client.get(f"/kpis/{kpi.id}/").content.decode()
    assert "No changes recorded yet." in page
