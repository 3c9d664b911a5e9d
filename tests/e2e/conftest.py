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

import threading

import pytest
from django.db.backends.signals import connection_created


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
