"""The roadmap CSV carries what each item is expected to do to a KPI (the post-launch review's input)."""

import csv
import io
from decimal import Decimal

import pytest

from tests.factories import RoadmapItemFactory, member

pytestmark = pytest.mark.django_db


def test_the_roadmap_csv_has_the_expected_kpi_and_change(api_client):
    item = RoadmapItemFactory(expected_kpi_key="revenue", expected_change_pct=Decimal("12.50"))
    api_client.force_authenticate(member(item.product.portfolio, "viewer"))
    response = api_client.get(f"/api/v1/roadmap-items/?product={item.product_id}&format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["expected_kpi_key"] == "revenue" and Decimal(rows[0]["expected_change_pct"]) == Decimal("12.5")
