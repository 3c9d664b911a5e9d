"""A lockout holds across gunicorn workers: real gunicorn, 2 worker processes, the test's PostgreSQL."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import need
from tests.factories import UserFactory
from tests.integration.conftest import _database_url

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "secret-pass-1"  # what UserFactory sets


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """gunicorn with 2 sync workers on 127.0.0.1; its access log names the worker (pid) per request."""
    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "integration tests need PostgreSQL")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "TOKEN_THROTTLE_RATE": "1000/minute", "CI": ""}
    command = [
        sys.executable, "-m", "gunicorn", "pmflow.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--access-logfile", "-", "--access-logformat", "ACCESS %(p)s %(s)s %(U)s",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5)
                break
            except OSError:  # refused before it listens; a read timeout (TimeoutError) while a busy worker loads Django
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield type("Server", (), {"url": f"http://127.0.0.1:{port}", "log": log})
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _token(url: str, username: str, password: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_lockout_holds_in_every_gunicorn_worker(gunicorn):
    user = UserFactory()
    wrong = [_token(gunicorn.url, user.username, "wrong-guess") for _ in range(5)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # concurrent, so both workers take requests
        right = list(pool.map(lambda _: _token(gunicorn.url, user.username, PASSWORD), range(16)))

    assert wrong == [400, 400, 400, 400, 429]
    assert right == [429] * 16
    refused_by = {
        line.split()[1]
        for line in gunicorn.log.read_text().splitlines()
        if line.startswith("ACCESS ") and line.endswith(" 429 /api/v1/auth/token/")
    }
    assert len(refused_by) == 2, f"the refusals came from workers {refused_by}; both should have answered"
