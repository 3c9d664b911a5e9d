"""The webhook address guard (products.webhook_delivery): what a hook's URL may be, and where it may resolve.
The resolver is replaced in these tests (no DNS); the integration test calls a real one on 127.0.0.1."""

import pytest

from products import webhook_delivery
from products.webhook_delivery import AddressRefused, redacted, resolve_checked, url_problem


@pytest.fixture
def public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def resolver(monkeypatch):
    """Hostnames resolve to what the test says: {"host": ["address", …]}."""
    answers: dict[str, list[str]] = {}

    def fake(host, port):
        if host not in answers:
            raise OSError("Name or service not known")
        return answers[host]

    monkeypatch.setattr(webhook_delivery, "_getaddrinfo", fake)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "http://127.1.2.3:8000/hook",
        "https://[::1]/hook",
        "https://10.0.0.5/hook",
        "https://172.16.3.4/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://100.64.0.1/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.1.1.1]/hook",
    ],
)
def test_a_loopback_private_link_local_or_reserved_address_is_refused(public_only, url):
    with pytest.raises(AddressRefused, match="only go to public addresses"):
        resolve_checked(url)


def test_a_hostname_resolving_to_a_private_address_is_refused(public_only, resolver):
    resolver["hooks.internal.example.com"] = ["10.1.2.3"]
    with pytest.raises(AddressRefused) as refused:
        resolve_checked("https://hooks.internal.example.com/pmflow")
    assert "resolves to 10.1.2.3, a private address" in str(refused.value)


def test_one_private_address_among_public_ones_is_enough_to_refuse(public_only, resolver):
    resolver["mixed.example.com"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(AddressRefused, match="loopback"):
        resolve_checked("https://mixed.example.com/")


def test_localhost_by_name_is_refused(public_only, resolver):
    resolver["localhost"] = ["127.0.0.1", "::1"]
    with pytest.raises(AddressRefused, match="loopback"):
        resolve_checked("http://localhost:8000/hook")


def test_a_public_address_passes_and_is_the_one_to_connect_to(public_only, resolver):
    resolver["hooks.example.com"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    assert resolve_checked("https://hooks.example.com/pmflow?token=abc") == "93.184.216.34"
    assert resolve_checked("https://93.184.216.34/pmflow") == "93.184.216.34"


def test_a_name_that_does_not_resolve_is_refused_with_its_reason(public_only, resolver):
    with pytest.raises(AddressRefused, match="does not resolve"):
        resolve_checked("https://nowhere.example.com/")


def test_the_setting_allows_private_addresses(settings, resolver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    resolver["receiver.local"] = ["192.168.1.20"]
    assert resolve_checked("http://127.0.0.1:9000/hook") == "127.0.0.1"
    assert resolve_checked("http://receiver.local/hook") == "192.168.1.20"


@pytest.mark.parametrize(
    "url, words",
    [
        ("", "Give the address"),
        ("ftp://files.example.com/hook", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "Only http:// and https://"),
        ("https:///nohost", "needs a host name"),
        ("https://user:pw@hooks.example.com/", "No user name or password"),
        ("https://hooks.example.com/#frag", "Leave out the #fragment"),
        ("https://hooks.example.com/a b", "no spaces"),
        ("https://hooks.example.com/\x00", "no spaces or control characters"),
        ("https://hooks.example.com:99999/", "not a valid address"),
        ("https://" + "a" * 64 + ".example.com/", "host name is not valid"),
        ("https://hooks.example.com/" + "x" * 2000, "At most 2,000 characters"),
    ],
)
def test_a_malformed_url_says_what_is_wrong(url, words):
    assert words in url_problem(url)


def test_an_internationalised_host_is_accepted():
    assert url_problem("https://bücher.example/hook") is None


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/…"),
        ("https://crm.example.com/?token=secret", "https://crm.example.com/…"),
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787/"),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/…"),
    ],
)
def test_redacted_keeps_only_the_host(url, shown):
    assert redacted(url) == shown


def test_the_send_checks_the_address_again_and_never_connects(public_only, resolver, monkeypatch):
    """DNS rebinding: a name public when saved resolves to a private address at send: refused, not retried,
    and no connection is made."""
    resolver["rebind.example.com"] = ["10.0.0.7"]
    monkeypatch.setattr(webhook_delivery.socket, "create_connection", _no_connection)
    outcome = webhook_delivery.post("https://rebind.example.com/hook", b"{}", {})
    assert (outcome.ok, outcome.retry) == (False, False)
    assert "10.0.0.7, a private address" in outcome.error


def test_a_name_that_stops_resolving_at_send_is_retried(public_only, resolver, monkeypatch):
    monkeypatch.setattr(webhook_delivery.socket, "create_connection", _no_connection)
    outcome = webhook_delivery.post("https://gone.example.com/hook", b"{}", {})
    assert (outcome.ok, outcome.retry) == (False, True)
    assert "does not resolve" in outcome.error


def _no_connection(*args, **kwargs):
    raise AssertionError("no connection may be made")
