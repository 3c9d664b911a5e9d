"""One POST on the wire (products.webhook_delivery.post) against a real HTTP server on 127.0.0.1, with
WEBHOOK_ALLOW_PRIVATE on: the answer's status decides success and retry, redirects are not followed, the
answer is read only so far, and a receiver that hangs does not hold the worker."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from products.webhook_delivery import MAX_RESPONSE_BYTES, body_bytes, post, signature_header, verify_signature


class Receiver(BaseHTTPRequestHandler):
    script: dict = {}
    received: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, headers, answer, delay = Receiver.script.get(self.path, (200, {}, b"ok", 0))
        time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def server(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    Receiver.script, Receiver.received = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_2xx_is_delivered_and_the_receiver_can_verify_it(server):
    body = body_bytes({"event": "webhook.test", "id": 1, "created_at": "2026-03-02T10:00:00+00:00", "portfolio": 1,
                       "data": {"test": True}})  # fmt: skip
    header = signature_header("s" * 20, body)
    outcome = post(f"{server}/hook?token=abc", body, {"Content-Type": "application/json", "X-Pmflow-Signature": header})
    assert (outcome.ok, outcome.status_code) == (True, 200)
    got = Receiver.received[0]
    assert got["path"] == "/hook?token=abc" and got["body"] == body
    assert verify_signature("s" * 20, got["headers"]["X-Pmflow-Signature"], got["body"])
    assert got["headers"]["User-Agent"].startswith("pmflow-webhooks/")


def test_a_500_is_a_failure_worth_another_try_with_the_answer_kept(server):
    Receiver.script["/hook"] = (500, {}, b"database is down\n" * 3, 0)
    outcome = post(f"{server}/hook", b"{}", {})
    assert (outcome.ok, outcome.retry, outcome.status_code) == (False, True, 500)
    assert outcome.error.startswith("The receiver answered 500: database is down")


def test_429_is_retried_after_what_the_receiver_asks(server):
    Receiver.script["/hook"] = (429, {"Retry-After": "120"}, b"", 0)
    outcome = post(f"{server}/hook", b"{}", {})
    assert (outcome.retry, outcome.retry_after) == (True, 120.0)


def test_a_404_is_not_retried(server):
    Receiver.script["/hook"] = (404, {}, b"no such hook", 0)
    outcome = post(f"{server}/hook", b"{}", {})
    assert (outcome.ok, outcome.retry, outcome.status_code) == (False, False, 404)


def test_a_redirect_is_not_followed(server):
    Receiver.script["/hook"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"", 0)
    outcome = post(f"{server}/hook", b"{}", {})
    assert (outcome.ok, outcome.retry, outcome.status_code) == (False, False, 302)
    assert "redirects are not followed" in outcome.error and "169.254.169.254/…" in outcome.error
    assert [r["path"] for r in Receiver.received] == ["/hook"]


def test_a_huge_answer_is_read_only_so_far(server):
    Receiver.script["/hook"] = (500, {}, b"x" * (MAX_RESPONSE_BYTES * 4), 0)
    outcome = post(f"{server}/hook", b"{}", {})
    assert outcome.status_code == 500 and len(outcome.error) < 400


def test_a_receiver_that_does_not_answer_in_time_is_a_timeout_to_retry(server):
    Receiver.script["/slow"] = (200, {}, b"", 2)
    started = time.monotonic()
    outcome = post(f"{server}/slow", b"{}", {}, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert (outcome.ok, outcome.retry) == (False, True)
    assert "Timed out" in outcome.error


def test_nothing_listening_is_a_connection_refused_to_retry(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    outcome = post("http://127.0.0.1:9/hook", b"{}", {}, timeout=1)
    assert (outcome.ok, outcome.retry) == (False, True)
    assert "Connection refused" in outcome.error


def test_the_guard_still_refuses_loopback_at_send_without_the_setting(server, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    outcome = post(f"{server}/hook", b"{}", {})
    assert (outcome.ok, outcome.retry) == (False, False) and "loopback" in outcome.error
    assert Receiver.received == []
