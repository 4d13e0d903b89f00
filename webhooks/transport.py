"""The HTTP POST of a webhook, guarded against server-side request forgery.

The host is resolved once; every address it resolves to must be public (validators.address_refused, unless
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES), and the connection is made to that checked address, never by name
again, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot reach an
internal address. The request still carries the URL's Host header, and over https the URL's host name is
sent as SNI and checked against the certificate. Redirects are not followed (a 3xx is a failed attempt).
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3

from .validators import address_refused


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks are not sent to."""


class SendFailed(Exception):
    """The request could not be made or got no answer (DNS, connection, TLS, timeout)."""


@dataclass(frozen=True)
class SendResult:
    status: int
    elapsed_ms: int
    body_start: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (an IP literal is itself). Raises SendFailed when it does not resolve."""
    try:
        return [ipaddress.ip_address(host).compressed]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SendFailed(f"could not resolve {host}: {exc}") from None
    addresses = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise SendFailed(f"{host} resolves to no address")
    return addresses


def checked_address(host: str, port: int) -> str:
    """Resolve `host` and return the address to connect to. Raises AddressRefused when any address it
    resolves to is refused, SendFailed when it does not resolve."""
    addresses = resolve(host, port)
    for address in addresses:
        reason = address_refused(ipaddress.ip_address(address))
        if reason:
            raise AddressRefused(f"{host} resolves to {reason}" if address != host else reason)
    return addresses[0]


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> SendResult:
    """POST `body` to `url` with `headers`, connecting to the checked address of its host.

    `timeout` (seconds) bounds the connection and each read. Returns the status, the time to the answer
    in ms and the first 500 characters of the answer's body. Raises AddressRefused or SendFailed.
    """
    parts = urlsplit(url)
    try:
        # An internationalised name is looked up, sent in Host and checked in the certificate as its A-label.
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (UnicodeError, ValueError) as exc:
        raise SendFailed(f"not a usable URL: {exc}") from None
    https = parts.scheme == "https"
    address = checked_address(host, port)
    default_port = (https and port == 443) or (not https and port == 80)
    host_header = host if ":" not in host else f"[{host}]"
    if not default_port:
        host_header = f"{host_header}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if https:
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    started = time.monotonic()
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                target,
                body=body,
                headers={**headers, "Host": host_header},
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
            elapsed_ms = round((time.monotonic() - started) * 1000)
            try:
                start = response.read(500, decode_content=True) or b""
            except urllib3.exceptions.HTTPError:
                start = b""
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise SendFailed(f"{exc.__class__.__name__}: {exc}"[:500]) from None
    except OSError as exc:
        raise SendFailed(f"{exc.__class__.__name__}: {exc}"[:500]) from None
    return SendResult(status=response.status, elapsed_ms=elapsed_ms, body_start=start.decode("utf-8", "replace"))
