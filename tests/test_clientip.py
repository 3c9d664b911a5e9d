"""pmflow.clientip: X-Forwarded-For counts only from trusted proxies, right-most untrusted hop first."""

import pytest
from django.test import RequestFactory

from pmflow.clientip import client_ip


def address(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address("198.51.100.1", "203.0.113.9") == "198.51.100.1"


def test_from_a_peer_that_is_not_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address("198.51.100.1", "203.0.113.9") == "198.51.100.1"


@pytest.mark.parametrize(
    "forwarded, client",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("1.1.1.1, 203.0.113.9", "203.0.113.9"),  # the left-most entry is the client's own claim
        ("1.1.1.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),  # a second trusted proxy in the chain
        ("10.0.0.8, 10.0.0.7", "10.0.0.8"),  # every hop ours: the farthest one
        ("", "10.0.0.2"),
        ("1.1.1.1, not-an-address", "10.0.0.2"),  # garbage where a proxy should have written: the proxy
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client(settings, forwarded, client):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address("10.0.0.2", forwarded) == client


def test_a_single_trusted_address_is_a_network_of_one(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert address("127.0.0.2", "203.0.113.9") == "127.0.0.2"
