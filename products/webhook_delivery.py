"""Webhooks on the wire: the address guard, the signature and one POST (API-CONTRACT.md, "Lifecycle
automation and events").

- **The address guard** (`url_problem`, `resolve_public`): only `http(s)` URLs of at most
  `MAX_URL_LENGTH` characters, with a host, without credentials or a fragment; unless
  `settings.WEBHOOK_ALLOW_PRIVATE`, every address the host resolves to must be a public one (no
  loopback, private, link-local, shared, reserved, multicast or unspecified address, IPv4-mapped
  ones included). It is checked when a hook is saved and again at every send, because DNS may
  change in between (rebinding): the send connects to the very address it checked, and never
  follows a redirect.
- **The signature** (`signature_header`): `t=<unix seconds>,v1=<hex HMAC-SHA256 with the secret over
  "<t>.<raw body>">` in `X-Pmflow-Signature`. `verify_signature` is what a receiver does (the pages
  show the same few lines in Python).
- **One POST** (`post`): a short timeout to connect, a deadline for the whole exchange, at most
  `MAX_RESPONSE_BYTES` of the answer read (a snippet is kept for the delivery log). It returns an
  `Outcome` saying whether the try succeeded and whether another try may; it never raises for
  anything the network or the receiver does. Only the worker calls it (never a request).

Nothing here logs a URL's path or query (a receiver's token often lives there) or the secret.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
MAX_RESPONSE_BYTES = 64 * 1024
ERROR_SNIPPET = 300
RESOLVE_TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Pmflow-Signature"
USER_AGENT = "pmflow-webhooks/1"
# Answers worth another try: the receiver was busy or down for a moment. Any other 4xx says the request
# itself is refused (a wrong path, a signature check that fails): trying it again gives the same answer.
RETRY_STATUSES = frozenset({408, 429})


class AddressRefused(ValueError):
    """The URL or the address it resolves to may not be called (a message a person can act on)."""


# --- the address guard -------------------------------------------------------------------------------


def _kind_of_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not a public one ("a loopback address"), or None when it is."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = mapped
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "an address that is not public"  # 100.64.0.0/10 (shared, carrier-grade NAT) and the like
    return None


def url_problem(url) -> str | None:
    """Why `url` cannot be a hook's address as written (no DNS), or None."""
    if not isinstance(url, str) or not url.strip():
        return "Give the address (URL) to send to."
    if len(url) > MAX_URL_LENGTH:
        return f"At most {MAX_URL_LENGTH:,} characters."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "An address has no spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "This is not a valid address (URL)."
    if parts.scheme.lower() not in ("http", "https"):
        return "Only http:// and https:// addresses can receive webhooks."
    if not parts.hostname:
        return "The address needs a host name, e.g. https://hooks.example.com/pmflow."
    if parts.username is not None or parts.password is not None:
        return "No user name or password in the address: receivers check the signature instead."
    if parts.fragment or url.endswith("#"):
        return "Leave out the #fragment: it is never sent."
    if port == 0:
        return "Port 0 cannot be called."
    try:
        host_ascii(parts.hostname)
    except AddressRefused as exc:
        return str(exc)
    return None


def host_ascii(hostname: str) -> str:
    """The host as DNS knows it (an internationalised name in its xn-- form)."""
    try:
        ipaddress.ip_address(hostname)
        return hostname
    except ValueError:
        pass
    try:
        ascii_name = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressRefused("The host name is not valid.") from None
    if len(ascii_name) > 253 or any(not label or len(label) > 63 for label in ascii_name.rstrip(".").split(".")):
        raise AddressRefused("The host name is not valid.")
    return ascii_name


def _default_port(parts) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order (at most RESOLVE_TIMEOUT seconds).

    Raises AddressRefused when the name does not resolve (or not in time). Tests replace
    `_getaddrinfo`."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(_getaddrinfo, host, port).result(timeout=RESOLVE_TIMEOUT) or _unresolved(host)
    except concurrent.futures.TimeoutError:
        raise AddressRefused(f"{host} did not resolve within {RESOLVE_TIMEOUT:.0f} seconds.") from None
    except (OSError, UnicodeError):
        return _unresolved(host)
    finally:
        pool.shutdown(wait=False)


def _unresolved(host: str):
    raise AddressRefused(f"{host} does not resolve to an address: check the host name.")


def resolve_checked(url: str) -> str:
    """The address to connect to for `url`: resolved now, every address checked unless
    `WEBHOOK_ALLOW_PRIVATE`. Raises AddressRefused (a bad URL, a name that does not resolve, an address
    that is not public)."""
    if problem := url_problem(url):
        raise AddressRefused(problem)
    parts = urlsplit(url)
    host = host_ascii(parts.hostname)
    addresses = resolve(host, _default_port(parts))
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            kind = _kind_of_address(ipaddress.ip_address(address.split("%", 1)[0]))
            if kind is not None:
                shown = "" if address == host else f" resolves to {address},"
                raise AddressRefused(
                    f"{host}{shown} {kind}: webhooks only go to public addresses "
                    "(the setting WEBHOOK_ALLOW_PRIVATE allows others)."
                )
    return addresses[0]


def redacted(url: str) -> str:
    """`https://hooks.example.com/…`: the address without its path and query (a token often lives
    there), for history, logs and notifications."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid address)"
    if ":" in host:
        host = f"[{host}]"
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


# --- the signature -----------------------------------------------------------------------------------


def body_bytes(payload: dict) -> bytes:
    """The raw body of a delivery: compact JSON, UTF-8 (what the signature covers)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 with `secret` over "<timestamp>.<body>"."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={sign(secret, t, body)}"


# What a receiver does, as the webhook page shows it (tests run this very text against a real signature).
RECEIVER_SNIPPET = """\
import hashlib, hmac, time

def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    \"\"\"header: the X-Pmflow-Signature value; body: the raw request body, byte for byte.\"\"\"
    fields = dict(item.split("=", 1) for item in header.split(","))
    t = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - t) <= tolerance and hmac.compare_digest(expected, fields["v1"])
"""


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: the header's `v1` matches the HMAC of "<t>.<body>" and `t` is recent."""
    fields: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        t = int(fields["t"][0])
    except (KeyError, ValueError, IndexError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = sign(secret, t, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# --- one POST ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one try gave: `ok` (2xx), else whether another try may help (`retry`) and the error."""

    ok: bool
    status_code: int | None = None
    error: str = ""
    retry: bool = False
    retry_after: float | None = None  # seconds the receiver asked us to wait (429, 503)
    gone: bool = False  # 410: the receiver says this address is gone for good


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to by now."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is verified for the host name (SNI too)."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit() and len(value.strip()) < 10:
        return float(value.strip())
    return None


def _snippet(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").replace("\x00", "").strip()
    text = " ".join(text.split())
    return text[:ERROR_SNIPPET] + ("…" if len(text) > ERROR_SNIPPET else "")


def _network_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "Timed out: the receiver did not answer in time."
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused: nothing listens at that address and port."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message or exc.reason}."[:ERROR_SNIPPET]
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or type(exc).__name__}."[:ERROR_SNIPPET]
    if isinstance(exc, http.client.HTTPException):
        return f"The receiver's answer is not valid HTTP ({type(exc).__name__})."
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"Network error: {text}."[:ERROR_SNIPPET]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None) -> Outcome:
    """POST `body` to `url` once: resolve and check the address, connect to it, send, read the status
    and at most MAX_RESPONSE_BYTES. The whole exchange ends after twice `timeout` (a receiver
    trickling its answer byte by byte does not hold the worker)."""
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout)
    try:
        address = resolve_checked(url)
    except AddressRefused as exc:
        # A name that does not resolve (right now) may resolve later; an address that is not public
        # will not become one by trying again.
        return Outcome(ok=False, error=str(exc), retry="does not resolve" in str(exc) or "did not resolve" in str(exc))
    parts = urlsplit(url)
    host = host_ascii(parts.hostname)
    port = _default_port(parts)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=timeout)
    watchdog = threading.Timer(2 * timeout, _abort, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        raw = response.read(MAX_RESPONSE_BYTES)
        status = response.status
        location = response.getheader("Location") or ""
        retry_after = _retry_after(response.getheader("Retry-After"))
    except Exception as exc:  # noqa: BLE001 - whatever the network did: a failed try, never a crash
        if watchdog.finished.is_set():
            return Outcome(ok=False, error=f"Timed out: the exchange took over {2 * timeout:.0f} seconds.", retry=True)
        return Outcome(ok=False, error=_network_error(exc), retry=True)
    finally:
        watchdog.cancel()
        connection.close()
    if 200 <= status < 300:
        return Outcome(ok=True, status_code=status)
    if 300 <= status < 400:
        where = f" to {redacted(location)}" if location.startswith(("http://", "https://")) else ""
        return Outcome(
            ok=False,
            status_code=status,
            error=f"Redirected ({status}){where}: redirects are not followed; register the final address.",
        )
    answer = _snippet(raw)
    error = f"The receiver answered {status}" + (f": {answer}" if answer else ".")
    retry = status >= 500 or status in RETRY_STATUSES
    return Outcome(ok=False, status_code=status, error=error, retry=retry, retry_after=retry_after, gone=status == 410)


def _abort(connection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
