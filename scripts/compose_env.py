#!/usr/bin/env python3
"""The environment docker-compose.yml gives the web service, and Django's deploy check run with it.

    .venv/bin/python scripts/compose_env.py check   # manage.py check --deploy --fail-level WARNING
    .venv/bin/python scripts/compose_env.py env     # print the environment it uses

Compose interpolation is applied as `docker compose` does with nothing set in the shell: `${VAR:-default}`
and `${VAR-default}` give their default, `$$` is a dollar sign. Required variables (`${VAR:?message}`,
the secrets) get a random placeholder, so the check sees a real-looking secret and nothing secret is
needed to run it. `check` also fails when the compose file holds a literal secret (a password, key or
token written into it instead of taken from the environment). Tests: tests/test_deploy.py; CI: .ci/run.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICE = "web"
# What the check process inherits from this one: enough to run Python, nothing that configures pmflow.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONDONTWRITEBYTECODE")

_VARIABLE = re.compile(
    r"\$(?:(?P<dollar>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_REQUIRED_ONLY = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}")
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|(^|_)KEY($|_)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]*)@")


def load(path: Path = COMPOSE_FILE) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _as_dict(environment) -> dict[str, str]:
    if isinstance(environment, list):  # the `- NAME=value` form
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {name: "" if value is None else str(value) for name, value in (environment or {}).items()}


def interpolate(value: str, placeholders: dict[str, str]) -> str:
    """Compose's interpolation with an empty shell: defaults apply, required variables get a placeholder
    (the same one for every mention of a name, so a password in DATABASE_URL matches POSTGRES_PASSWORD)."""

    def substitute(match: re.Match) -> str:
        if match["dollar"]:
            return "$"
        name, op, arg = match["name"] or match["bare"], match["op"], match["arg"]
        if op in ("-", ":-"):
            return arg
        if op in ("?", ":?"):
            return placeholders.setdefault(name, secrets.token_urlsafe(50))
        return ""  # unset and no default: compose substitutes an empty string

    return _VARIABLE.sub(substitute, value)


def service_environment(compose: dict, service: str = SERVICE, placeholders: dict | None = None) -> dict[str, str]:
    raw = _as_dict(compose["services"][service].get("environment"))
    placeholders = {} if placeholders is None else placeholders
    return {name: interpolate(value, placeholders) for name, value in raw.items()}


def literal_secrets(compose: dict) -> list[str]:
    """`service.NAME` of every secret written into the file: a secret-named variable, or a password in a
    URL, that is not wholly a required `${VAR:?…}` reference."""
    found = []
    for service_name, service in (compose.get("services") or {}).items():
        for name, value in _as_dict(service.get("environment")).items():
            if _SECRET_NAME.search(name) and value and not _REQUIRED_ONLY.fullmatch(value):
                found.append(f"{service_name}.{name}")
            for url in _URL_PASSWORD.finditer(value):
                if url["password"] and not _REQUIRED_ONLY.fullmatch(url["password"]):
                    found.append(f"{service_name}.{name} (password in the URL)")
    return found


def check_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment for the check: the web service's, with only the basics of this one."""
    base = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return {**base, **service_environment(load()), **(overrides or {})}


def run_check(overrides: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`manage.py check --deploy --fail-level WARNING` with the compose environment (plus `overrides`)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=check_environment(overrides),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "env":
        for name, value in sorted(check_environment().items()):
            print(f"{name}={value}")
        return 0
    if command != "check":
        print(__doc__, file=sys.stderr)
        return 2
    literal = literal_secrets(load())
    if literal:
        print(f"docker-compose.yml holds literal secrets: {', '.join(literal)}; use ${{NAME:?set NAME}}")
        return 1
    result = run_check()
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    verdict = "FAILED" if result.returncode else "clean"
    print(f"deploy check with docker-compose.yml's {SERVICE} environment: {verdict}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
