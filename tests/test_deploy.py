"""Deployment: `manage.py check --deploy` is clean with the environment docker-compose.yml gives the web
service, the compose file holds no secret, and a production process refuses to start without SECRET_KEY.
scripts/compose_env.py."""

import subprocess
import sys

import pytest

from scripts import compose_env

CHECK_SECONDS = 120


def test_deploy_check_is_clean_with_the_compose_environment():
    result = compose_env.run_check(timeout=CHECK_SECONDS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_on_a_warning():
    # Plain http in production is a warning (security.W008): the check must turn it into a failure.
    result = compose_env.run_check({"SECURE_SSL_REDIRECT": "false"}, timeout=CHECK_SECONDS)
    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_the_check_runs_with_debug_off_as_compose_says():
    assert compose_env.check_environment()["DEBUG"] == "false"


def test_compose_file_holds_no_literal_secret():
    assert compose_env.literal_secrets(compose_env.load()) == []


@pytest.mark.parametrize(
    "environment, found",
    [
        ({"POSTGRES_PASSWORD": "pmflow"}, ["db.POSTGRES_PASSWORD"]),
        ({"SECRET_KEY": "${SECRET_KEY:-insecure}"}, ["db.SECRET_KEY"]),
        ({"DATABASE_URL": "postgres://pmflow:pmflow@postgres/pmflow"}, ["db.DATABASE_URL (password in the URL)"]),
        ({"SECRET_KEY": "${SECRET_KEY:?set it}", "DATABASE_URL": "postgres://u:${PW:?set PW}@h/db"}, []),
    ],
    ids=["literal password", "secret with a default", "password in a URL", "required variables"],
)
def test_literal_secrets_are_found(environment, found):
    assert compose_env.literal_secrets({"services": {"db": {"environment": environment}}}) == found


def test_required_variables_get_one_placeholder_per_name():
    placeholders = {}
    url = compose_env.interpolate("postgres://u:${PW:?set PW}@h/db", placeholders)
    again = compose_env.interpolate("${PW:?set PW}", placeholders)
    assert url == f"postgres://u:{again}@h/db" and len(again) >= 50


@pytest.mark.parametrize(
    "value, expected",
    [
        ("${HOSTS:-a,b}", "a,b"),
        ("${HOSTS-a}", "a"),
        ("${UNSET_IN_COMPOSE}", ""),
        ("$$HOME", "$HOME"),
        ("plain", "plain"),
    ],
)
def test_interpolation_is_composes_with_an_empty_shell(value, expected):
    assert compose_env.interpolate(value, {}) == expected


def test_secret_key_is_required_when_debug_is_off():
    environment = {name: value for name, value in compose_env.check_environment().items() if name != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=compose_env.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=CHECK_SECONDS,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
