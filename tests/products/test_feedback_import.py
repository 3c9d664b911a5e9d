"""Feedback from a CSV file (products.feedback_import and POST /api/v1/feedback/imports/): every row or none,
each bad row by line and column (the header is line 1), the size and row limits refused with nothing written."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from products import feedback_import
from products.models import DomainEvent, Feedback, Role
from tests.factories import (
    FeedbackFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

HEADER = "product,source,customer,segment,text,importance,deal_value,received_on\n"
IMPORTS = "/api/v1/feedback/imports/"


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


@pytest.fixture
def segment(portfolio):
    return SegmentFactory(portfolio=portfolio, name="Mid-market")


def _check(portfolio, text: str | bytes):
    raw = text.encode() if isinstance(text, str) else text
    return feedback_import.check_file(raw, portfolio=portfolio)


def _refused(portfolio, text) -> list[dict]:
    with pytest.raises(feedback_import.ImportRefused) as refused:
        feedback_import.feedback_import_file(portfolio=portfolio, raw=text.encode() if isinstance(text, str) else text)
    assert not Feedback.objects.exists() and not DomainEvent.objects.exists()
    return refused.value.errors


def test_a_good_file_imports_every_row_with_an_event_each(portfolio, product, segment):
    created = feedback_import.feedback_import_file(
        portfolio=portfolio,
        raw=(
            HEADER + "Nebula,sales,Tailspin,mid-market,Wants SSO,5,36000,2026-03-02\n"
            f"{product.id},Support,,,Slow export,,,2026-03-01\n"
        ).encode(),
    )
    assert created == 2
    first, second = Feedback.objects.order_by("received_on")[1], Feedback.objects.order_by("received_on")[0]
    assert (first.source, first.segment, first.importance, first.deal_value) == ("sales", segment, 5, Decimal(36000))
    assert (second.source, second.importance, second.deal_value, second.customer) == ("support", 3, None, "")
    assert DomainEvent.objects.filter(verb="feedback.created").count() == 2


def test_a_bad_row_on_line_3_is_reported_as_line_3(portfolio, product):
    errors = _refused(portfolio, HEADER + "Nebula,sales,A,,Fine,4,,2026-03-02\nNebula,sales,B,,Bad,9,,2026-03-02\n")
    assert errors == [{"line": 3, "column": "importance", "message": errors[0]["message"]}]
    assert "1 (nice to have) to 5" in errors[0]["message"]


def test_every_bad_cell_of_every_row_is_reported(portfolio, product):
    errors = _refused(
        portfolio,
        HEADER + "Nowhere,phone,A,Unknown,,x,-5,2026-02-30\n" + "Nebula,sales,A,,Fine,4,1.234,1899-12-31\n",
    )
    assert [(e["line"], e["column"]) for e in errors] == [
        (2, "product"),
        (2, "source"),
        (2, "segment"),
        (2, "importance"),
        (2, "deal_value"),
        (2, "received_on"),
        (2, "text"),
        (3, "deal_value"),
        (3, "received_on"),
    ]


def test_a_quoted_field_over_several_lines_is_reported_at_its_first_line(portfolio, product):
    errors = _refused(portfolio, HEADER + 'Nebula,sales,A,,"Two\nlines",4,,2026-03-02\nNebula,sales,B,,Bad,4,,soon\n')
    assert [(e["line"], e["column"]) for e in errors] == [(4, "received_on")]


def test_a_file_of_5001_rows_is_refused_and_nothing_is_written(portfolio, product):
    rows = "".join(f"Nebula,survey,,,Row {n},3,,2026-03-01\n" for n in range(5001))
    errors = _refused(portfolio, HEADER + rows)
    assert errors[0]["line"] == 5002 and "5,000 rows" in errors[0]["message"]


def test_a_file_of_5000_rows_is_imported(portfolio, product):
    rows = "".join(f"Nebula,survey,,,Row {n},3,,2026-03-01\n" for n in range(5000))
    assert feedback_import.feedback_import_file(portfolio=portfolio, raw=(HEADER + rows).encode()) == 5000


def test_a_3_mb_file_is_refused_and_nothing_is_written(portfolio, product):
    row = "Nebula,survey,,," + "x" * 900 + ",3,,2026-03-01\n"
    raw = (HEADER + row * (3 * 1024 * 1024 // len(row))).encode()
    assert len(raw) > 2.9 * 1024 * 1024
    errors = _refused(portfolio, raw)
    assert errors == [{"line": None, "column": None, "message": feedback_import.size_message()}]


def test_an_upload_larger_than_the_limit_is_refused_from_its_size_unread():
    class Upload:
        size = 3 * 1024 * 1024

        def read(self, *args):
            raise AssertionError("read")

    with pytest.raises(feedback_import.ImportRefused) as refused:
        feedback_import.read_upload(Upload())
    assert "3.0 MB" in refused.value.errors[0]["message"]


def test_a_bom_and_semicolons_are_read(portfolio, product):
    raw = "\ufeff" + HEADER.replace(",", ";") + "Nebula;beta;A;;Nice;2;;2026-03-02\n"
    assert [row["source"] for row in _check(portfolio, raw.encode("utf-8"))] == ["beta"]


def test_a_file_that_is_not_utf8_is_refused(portfolio, product):
    errors = _refused(portfolio, (HEADER + "Nebula,sales,Müller,,x,3,,2026-03-02\n").encode("latin-1"))
    assert "UTF-8" in errors[0]["message"]


@pytest.mark.parametrize(
    "header, column, words",
    [
        ("product,text,received_on,colour\n", "colour", "Unknown column"),
        ("product,text\n", "received_on", "missing"),
        ("product,text,text,received_on\n", "text", "twice"),
    ],
)
def test_a_bad_header_is_reported_on_line_1(portfolio, product, header, column, words):
    errors = _refused(portfolio, header + "Nebula,x,2026-03-02\n")
    assert errors[0]["line"] == 1 and errors[0]["column"] == column and words in errors[0]["message"]


def test_a_file_without_a_header_says_the_first_line_names_the_columns(portfolio, product):
    errors = _refused(portfolio, "Nebula,sales,A,,Text,3,,2026-03-02\n")
    assert errors[0]["line"] == 1 and "first line must name the columns" in errors[0]["message"]


def test_a_product_name_two_products_share_asks_for_the_id(portfolio, product):
    ProductFactory(portfolio=portfolio, name="NEBULA")
    errors = _refused(portfolio, HEADER + "nebula,sales,A,,Text,3,,2026-03-02\n")
    assert errors[0]["column"] == "product" and "use the product's id" in errors[0]["message"]


def test_another_portfolios_product_is_unknown_here(portfolio, product):
    other = ProductFactory(name="Theirs")
    errors = _refused(portfolio, HEADER + f"{other.id},sales,A,,Text,3,,2026-03-02\n")
    assert errors[0]["column"] == "product" and "No product" in errors[0]["message"]


def test_errors_are_capped_at_1000_and_say_so(portfolio, product):
    rows = "".join("Nebula,phone,,,Row,3,,2026-03-01\n" for _ in range(1200))
    with pytest.raises(feedback_import.ImportRefused) as refused:
        feedback_import.feedback_import_file(portfolio=portfolio, raw=(HEADER + rows).encode())
    assert len(refused.value.errors) == 1000 and refused.value.truncated


def test_an_exported_list_imports_again(portfolio, product, segment):
    FeedbackFactory(product=product, segment=segment, customer="=cmd", deal_value=Decimal("10.5"), importance=4)
    exported = b"".join(
        line.encode() for line in feedback_import.csv_lines(Feedback.objects.select_related("product", "segment"))
    )
    rows = _check(portfolio, exported)
    assert [(r["product"], r["segment"], r["importance"], r["deal_value"]) for r in rows] == [
        (product, segment, 4, Decimal("10.5"))
    ]


def test_the_template_names_the_columns_and_a_product_of_the_portfolio(portfolio, product):
    rows = feedback_import.template_rows(portfolio)
    assert rows[0][0] == "Nebula" and len(rows[0]) == len(feedback_import.COLUMNS)
    text = ",".join(feedback_import.COLUMNS) + "\n" + "\n".join(",".join(f'"{c}"' for c in r) for r in rows)
    assert len(_check(portfolio, text)) == 2


# --- POST /api/v1/feedback/imports/ ---------------------------------------------------------------------


def _api(portfolio, role):
    client = APIClient()
    client.force_authenticate(member(portfolio, role))
    return client


def _upload(text: str | bytes, name="feedback.csv"):
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, "text/csv")


def test_the_api_imports_a_file_with_201_and_the_count(portfolio, product):
    body = {"portfolio": portfolio.id, "file": _upload(HEADER + "Nebula,sales,A,,Text,3,,2026-03-02\n")}
    response = _api(portfolio, Role.MARKETER).post(IMPORTS, body, format="multipart")
    assert response.status_code == 201 and response.json() == {"created": 1}


def test_the_api_reports_a_bad_row_on_line_3_and_writes_nothing(portfolio, product):
    text = HEADER + "Nebula,sales,A,,Text,3,,2026-03-02\nNebula,sales,A,,Text,3,,2999-01-01\n"
    response = _api(portfolio, Role.MARKETER).post(
        IMPORTS, {"portfolio": portfolio.id, "file": _upload(text)}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "received_on")]
    assert body["errors_truncated"] is False and not Feedback.objects.exists()


def test_the_api_refuses_5001_rows_with_nothing_written(portfolio, product):
    rows = "".join(f"Nebula,survey,,,Row {n},3,,2026-03-01\n" for n in range(5001))
    response = _api(portfolio, Role.ADMIN).post(
        IMPORTS, {"portfolio": portfolio.id, "file": _upload(HEADER + rows)}, format="multipart"
    )
    assert response.status_code == 400 and "5,000 rows" in response.json()["errors"][0]["message"]
    assert not Feedback.objects.exists() and not DomainEvent.objects.exists()


def test_the_api_refuses_a_3_mb_file_before_reading_it_with_nothing_written(portfolio, product):
    raw = (HEADER + "Nebula,survey,,,x,3,,2026-03-01\n" * 100_000).encode()
    assert len(raw) > 3 * 1024 * 1024
    response = _api(portfolio, Role.ADMIN).post(
        IMPORTS, {"portfolio": portfolio.id, "file": _upload(raw)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] is None and "2 MB" in response.json()["errors"][0]["message"]
    assert not Feedback.objects.exists() and not DomainEvent.objects.exists()


def test_a_viewer_is_refused_before_the_file_is_read(portfolio, product):
    response = _api(portfolio, Role.VIEWER).post(
        IMPORTS, {"portfolio": portfolio.id, "file": _upload(HEADER)}, format="multipart"
    )
    assert response.status_code == 403


def test_a_viewer_here_who_writes_elsewhere_is_refused_here(portfolio, product):
    user = member(portfolio, Role.VIEWER)
    elsewhere = PortfolioFactory()
    MembershipFactory(user=user, portfolio=elsewhere, role=Role.MARKETER)
    client = APIClient()
    client.force_authenticate(user)
    text = HEADER + "Nebula,sales,A,,Text,3,,2026-03-02\n"
    response = client.post(IMPORTS, {"portfolio": portfolio.id, "file": _upload(text)}, format="multipart")
    assert response.status_code == 403 and not Feedback.objects.exists()


@pytest.mark.parametrize(
    "body_of", [lambda p: {"file": None}, lambda p: {"portfolio": 999_999}, lambda p: {"portfolio": p.id}]
)
def test_a_missing_file_or_portfolio_is_a_400_on_the_field(portfolio, product, body_of):
    body = {k: v for k, v in body_of(portfolio).items() if v is not None}
    if "portfolio" not in body:
        body["file"] = _upload(HEADER)
    response = _api(portfolio, Role.MARKETER).post(IMPORTS, body, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) & {"portfolio", "file"}


def test_received_today_in_the_portfolios_zone_is_taken(portfolio, product):
    today = feedback_import.services.latest_day(portfolio) - datetime.timedelta(days=1)
    assert len(_check(portfolio, HEADER + f"Nebula,sales,A,,Text,3,,{today.isoformat()}\n")) == 1
