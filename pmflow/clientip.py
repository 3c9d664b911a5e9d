"""The client's IP address, for sign-in lockouts (django-axes) and the API throttle alike.

`X-Forwarded-For` is written by whoever sends the request, so it counts only when the peer
(`REMOTE_ADDR`) is one of our own proxies (`TRUSTED_PROXIES`). Each proxy appends the address it
received the request from, so the client is the right-most address that is not a trusted proxy;
anything to its left was written by the client and is ignored. Without trusted proxies the header is
ignored entirely, and a forged one cannot buy a fresh lockout or throttle counter.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def trusted_networks() -> tuple[Network, ...]:
    """TRUSTED_PROXIES as networks (an address is a /32 or /128); checked at startup by the settings."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def _trusted(address, networks) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or through trusted proxies the right-most untrusted hop."""
    peer_text = request.META.get("REMOTE_ADDR", "")
    peer = _address(peer_text)
    if peer is None:
        return peer_text
    networks = trusted_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from a trusted proxy's peer: the last address we could trust is the client
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


class ClientScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed on `client_ip` (DRF's own key takes X-Forwarded-For from anyone)."""

    def get_ident(self, request):
        return client_ip(request)
