"""Plumbing for every browser test in tests/e2e.

Database connections. While a Playwright sync browser is open, its asyncio loop counts as running in
this thread, and Django's connection handler (asgiref's thread-critical Local) then files the ORM's
connection under a context variable instead of the plain thread-local. So the connection a test or its
data fixture opens while the browser is open is invisible to `connections.close_all()` once the browser
is shut: nothing closes it, and on PostgreSQL the test database cannot be dropped at the end ("is being
accessed by other users"), which is how .ci/run left `test_pmflow_ci` behind. Every connection this
thread opens during a browser test is closed when the test ends. (The live server's request threads
close their own: Django's ThreadedWSGIServer does it after each request.)
"""

import os
import threading

import pytest
from django.db.backends.signals import connection_created

from tests.conftest import chromium_path, need

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread


@pytest.fixture(autouse=True)
def _close_this_threads_connections():
    opened = []
    this_thread = threading.get_ident()

    def remember(sender, connection, **kwargs):
        if threading.get_ident() == this_thread:
            opened.append(connection)

    uid = f"e2e-close-connections-{id(opened)}"
    connection_created.connect(remember, weak=False, dispatch_uid=uid)
    try:
        yield
    finally:
        connection_created.disconnect(dispatch_uid=uid)
        for connection in opened:
            connection.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "secret-pass-1"  # what UserFactory sets
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


@pytest.fixture
def page():
    """A headless Chromium tab that records CSP violations (`.violations`) and script errors (`.js_errors`)."""
    path = chromium_path()
    need(path is not None, "Chromium not found (apt-get install chromium, or set PMFLOW_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, timeout=20_000)
        try:
            tab = browser.new_page(viewport={"width": 1440, "height": 900})
            tab.set_default_timeout(15_000)
            tab.set_default_navigation_timeout(15_000)
            tab.add_init_script(REPORT_VIOLATIONS)
            tab.violations = []
            tab.js_errors = []

            def on_console(message):
                text = message.text
                if "Content Security Policy" in text or text.startswith("CSP violation"):
                    tab.violations.append(text)

            tab.on("console", on_console)
            tab.on("pageerror", lambda exc: tab.js_errors.append(str(exc)))
            yield tab
        finally:
            browser.close()


def log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
