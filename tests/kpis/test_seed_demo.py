"""seed_demo prints the login (and the address scripts/run serves on) every time, loaded or not."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _seed(*args):
    out = StringIO()
    call_command("seed_demo", "--days", "14", *args, stdout=out)
    return out.getvalue()


def test_first_run_loads_and_prints_the_login_with_the_address():
    out = _seed("--url", "http://127.0.0.1:8123/")
    assert "Demo data already loaded" not in out
    assert "Open http://127.0.0.1:8123/ and log in as demo / pmflow-demo" in out
    assert "viewer / pmflow-demo (read-only)" in out


def test_second_run_prints_the_same_login():
    _seed()
    out = _seed("--url", "http://127.0.0.1:8123/")
    assert "Demo data already loaded." in out
    assert "Open http://127.0.0.1:8123/ and log in as demo / pmflow-demo" in out


def test_without_an_address_it_prints_only_the_login():
    out = _seed()
    assert "Log in as demo / pmflow-demo" in out and "http" not in out


def test_a_changed_password_is_not_printed_as_the_demo_one():
    _seed()
    demo = get_user_model().objects.get(username="demo")
    demo.set_password("something-else-42")
    demo.save()
    out = _seed()
    assert "demo / pmflow-demo" not in out
    assert "its password was changed" in out and "viewer / pmflow-demo" in out


def test_the_demo_has_an_import_history_and_key_rows_across_products():
    from kpis.models import Import, KeyRollup

    _seed()
    assert sorted(Import.objects.values_list("status", flat=True)) == ["done", "failed"]
    refused = Import.objects.get(status="failed")
    assert [(e["line"], e["column"]) for e in refused.errors] == [(3, "product"), (4, "value")]
    assert Import.objects.get(status="done").created > 0
    assert KeyRollup.objects.filter(key="revenue", product_line__isnull=True, granularity="day").exists()
