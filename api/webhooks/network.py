"""Posting a message to an endpoint without being turned against our own network (SSRF).

The host is resolved once; every address it resolves to must be public (not private,
loopback, link-local — which holds the cloud metadata address 169.254.169.254 —, shared,
reserved, multicast or unspecified), and the connection goes to the address checked, not
to a second resolution the attacker's DNS could answer differently. HTTPS still verifies
the certificate against the host name. No redirect is followed. `allow_private` (the
setting `BILLING_WEBHOOKS_ALLOW_PRIVATE`) lifts the address check for development and tests.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class RefusedAddress(Exception):
    """The endpoint's host resolves to an address we never call."""


@dataclass(frozen=True)
class Answer:
    """What the endpoint answered: its status code."""

    status: int


def public(address: str) -> bool:
    """Whether we may call `address` (an IPv4-mapped IPv6 address is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in METADATA


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The first address of `host`, once every address it has is one we may call."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedAddress(f"{host} does not resolve: {error}") from None
    addresses = [str(info[4][0]) for info in infos]
    refused = [a for a in addresses if not public(a)]
    if refused and not allow_private:
        raise RefusedAddress(f"{host} resolves to a non-public address ({refused[0]})")
    return addresses[0]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, the certificate verified for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to a checked address."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float = TIMEOUT_SECONDS,
) -> Answer:
    """POST `body` to `url` at a checked address; the answer's status (OSError on failure)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(host, port, allow_private=allow_private)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = kind(host, port, address, timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # what it says is not ours to keep
        return Answer(response.status)
    finally:
        connection.close()
