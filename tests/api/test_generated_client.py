"""The OpenAPI schema is valid, and a typed client generated from it works against a live server.

The schema is written with `manage.py spectacular --validate --fail-on-warn`; openapi-python-client
generates a package from it (failing on any generator warning), and the test imports it and walks
token → portfolio → product → KPI → measurements → rollups → transition with its functions only.
"""

import importlib
import importlib.util
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from products.models import Role
from tests.factories import MembershipFactory, PortfolioFactory, UserFactory

PASSWORD = "secret-pass-1"  # what UserFactory sets
PACKAGE = "pmflow_client"
GENERATOR_CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"  # no formatting: faster, same code

needs_generator = pytest.mark.skipif(
    importlib.util.find_spec("openapi_python_client") is None,
    reason="openapi-python-client is not installed (it is in the dev extras: pip install -e '.[dev]')",
)


def write_schema(directory) -> str:
    path = directory / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return str(path)


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    with open(write_schema(tmp_path)) as schema:
        text = schema.read()
    # JSON bodies only, but for the uploads (a file is multipart by nature): the CSV imports (KPI data,
    # feedback) and an asset's file (create, replace, patch; the same operations take a link as JSON).
    uploads = {
        "ImportUploadRequest",
        "KPIImportUploadRequest",
        "FeedbackImportUploadRequest",
        "AssetRequest",
        "PatchedAssetRequest",
    }
    assert text.count("multipart/form-data:") == len(uploads) + 1  # the media type keys; AssetRequest: POST, PUT
    assert all(name in text for name in uploads)
    assert "x-www-form-urlencoded" not in text
    assert "MeasurementBatchRequest" in text


@pytest.fixture
def client_package(tmp_path):
    """Generate the client into tmp_path and import it; forget it afterwards."""
    schema = write_schema(tmp_path)
    config = tmp_path / "generator.yml"
    config.write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", schema, "--meta", "none"]
        + ["--config", str(config), "--output-path", str(tmp_path / PACKAGE), "--fail-on-warning"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@needs_generator
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_generated_client_walks_the_api(client_package, live_server):
    api = client_package
    m = importlib.import_module(f"{PACKAGE}.models")

    def call(module: str, *args, **kwargs):
        return importlib.import_module(f"{PACKAGE}.api.{module}").sync_detailed(*args, **kwargs)

    user = UserFactory()
    portfolio = PortfolioFactory(timezone="UTC")
    MembershipFactory(user=user, portfolio=portfolio, role=Role.ADMIN)
    anonymous = api.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    refused = call("auth.auth_token_create", client=anonymous, body=m.TokenRequest(user.username, "wrong"))
    assert refused.status_code == 400 and isinstance(refused.parsed, m.ValidationError)
    issued = call("auth.auth_token_create", client=anonymous, body=m.TokenRequest(user.username, PASSWORD))
    assert issued.status_code == 200 and isinstance(issued.parsed, m.Token)
    client = api.AuthenticatedClient(
        base_url=live_server.url, token=issued.parsed.token, prefix="Token", raise_on_unexpected_status=True
    )

    me = call("me.me_retrieve", client=client).parsed
    assert [(b.portfolio, b.role) for b in me.memberships] == [(portfolio.id, m.RoleEnum.ADMIN)]
    assert call("portfolios.portfolios_retrieve", portfolio.id, client=client).parsed.name == portfolio.name

    product = call(
        "products.products_create",
        client=client,
        body=m.ProductRequest(portfolio=portfolio.id, name="Pulse", description="Alerts for on-call teams."),
    ).parsed
    assert isinstance(product, m.Product) and product.stage == m.StageEnum.IDEATION

    kpi = call(
        "kpis.kpis_create",
        client=client,
        body=m.KPIRequest(
            product=product.id,
            key="revenue",
            name="Revenue",
            aggregation=m.AggregationEnum.SUM,
            target=100.0,
            target_granularity=m.GranularityEnum.MONTH,
        ),
    ).parsed
    assert isinstance(kpi, m.KPI) and kpi.health == m.HealthEnum.NO_DATA

    batch = [m.MeasurementRequest(observed_at=f"2026-03-{d:02d}", value=float(d)) for d in range(1, 6)]
    ingested = call("kpis.kpis_measurements_create", kpi.id, client=client, body=batch)
    assert ingested.status_code == 201 and (ingested.parsed.created, ingested.parsed.updated) == (5, 0)
    one = m.MeasurementRequest(observed_at="2026-03-05", value=7.5, external_id="late-fix")
    assert call("kpis.kpis_measurements_create", kpi.id, client=client, body=one).parsed.created == 1
    bad = call("kpis.kpis_measurements_create", kpi.id, client=client, body=[m.MeasurementRequest("soon", 1.0)])
    assert bad.status_code == 400 and bad.parsed.additional_properties["errors"][0]["index"] == 0

    measurements = call("kpis.kpis_measurements_list", kpi.id, client=client).parsed
    assert isinstance(measurements, m.PaginatedMeasurementList) and len(measurements.results) == 6

    rows = call("kpis.kpis_rollups_list", kpi.id, client=client, granularity=m.GranularityEnum.MONTH).parsed
    assert [(r.period_start, Decimal(str(r.value)), r.count) for r in rows] == [(date(2026, 3, 1), Decimal("22.5"), 6)]
    assert isinstance(rows[0], m.RollupRow) and rows[0].health in set(m.HealthEnum)

    moved = call(
        "products.products_transition_create",
        product.id,
        client=client,
        body=m.TransitionRequest(
            to_stage=m.StageEnum.RESEARCH, reason="Interviews planned", from_stage=m.StageEnum.IDEATION
        ),
    )
    assert moved.status_code == 200 and moved.parsed.stage == m.StageEnum.RESEARCH
    stale = call(
        "products.products_transition_create",
        product.id,
        client=client,
        body=m.TransitionRequest(to_stage=m.StageEnum.PLANNING, reason="Again", from_stage=m.StageEnum.IDEATION),
    )
    assert stale.status_code == 409 and isinstance(stale.parsed, m.Error)
    ledger = call("products.products_transitions_list", product.id, client=client).parsed
    assert [(t.from_stage, t.to_stage, t.actor) for t in ledger.results] == [
        (m.StageEnum.IDEATION, m.StageEnum.RESEARCH, user.username),
        (m.BlankEnum.VALUE_0, m.StageEnum.IDEATION, user.username),  # the creation row: from_stage ""
    ]

    assert call("auth.auth_token_destroy", client=client).status_code == 204
    assert call("me.me_retrieve", client=client).status_code == 401
