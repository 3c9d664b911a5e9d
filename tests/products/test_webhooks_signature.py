"""The delivery signature exactly as the contract says: X-Pmflow-Signature: t=<unix seconds>,v1=<hex
HMAC-SHA256 with the secret over "<t>.<raw body>">; and the receiver's snippet the page shows verifies it."""

import hashlib
import hmac
import time

from products.webhook_delivery import RECEIVER_SNIPPET, body_bytes, signature_header, verify_signature

SECRET = "whsec_test_0123456789abcdef"
PAYLOAD = {
    "event": "product.stage_changed",
    "id": 7,
    "created_at": "2026-03-02T10:00:00+00:00",
    "portfolio": 1,
    "data": {"product": {"id": 3, "name": "Nébula"}, "from_stage": "research", "to_stage": "planning"},
}


def test_the_signature_is_an_hmac_sha256_over_t_dot_raw_body():
    body = body_bytes(PAYLOAD)
    header = signature_header(SECRET, body, timestamp=1767225600)
    expected = hmac.new(SECRET.encode(), b"1767225600." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1767225600,v1={expected}"


def test_the_body_is_compact_utf8_json():
    body = body_bytes(PAYLOAD)
    assert b'"name":"N\xc3\xa9bula"' in body and b": " not in body


def test_the_snippet_on_the_page_verifies_a_real_signature():
    scope: dict = {}
    exec(RECEIVER_SNIPPET, scope)  # noqa: S102 - the very text the webhook page shows
    body = body_bytes(PAYLOAD)
    header = signature_header(SECRET, body)
    assert scope["verify"](SECRET, header, body) is True
    assert scope["verify"]("another-secret-of-16", header, body) is False
    assert scope["verify"](SECRET, header, body + b" ") is False
    stale = signature_header(SECRET, body, timestamp=int(time.time()) - 3600)
    assert scope["verify"](SECRET, stale, body) is False


def test_verify_refuses_a_tampered_body_an_old_time_and_garbage():
    body = body_bytes(PAYLOAD)
    header = signature_header(SECRET, body)
    assert verify_signature(SECRET, header, body)
    assert not verify_signature(SECRET, header, body.replace(b"planning", b"launch"))
    assert not verify_signature(SECRET, signature_header(SECRET, body, timestamp=1), body)
    assert not verify_signature(SECRET, "v1=abc", body)
    assert not verify_signature(SECRET, "", body)
