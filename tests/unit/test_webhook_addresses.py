"""SSRF (issue 22): a webhook goes only to public addresses, resolved once and connected to
as checked, unless BILLING_WEBHOOKS_ALLOW_PRIVATE lets tests and development call loopback."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from api.webhooks.network import RefusedAddress, post, public, resolve
from tests.webhook_receiver import receiving

REFUSED = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "::1",
    "10.0.0.7",  # private
    "172.16.4.4",
    "192.168.1.1",
    "fd12:3456::1",
    "169.254.169.254",  # link-local: the cloud metadata service
    "fd00:ec2::254",  # AWS's IPv6 metadata address
    "fe80::1",
    "100.64.0.1",  # shared address space (carrier NAT), Alibaba's metadata 100.100.100.200
    "100.100.100.200",
    "0.0.0.0",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "192.0.2.10",  # documentation
]


@pytest.mark.parametrize("address", REFUSED)
def test_a_non_public_address_is_refused(address: str) -> None:
    assert not public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_a_public_address_is_allowed(address: str) -> None:
    assert public(address)


def test_a_host_name_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(RefusedAddress, match="non-public"):
        resolve("localhost", 80, allow_private=False)


def test_a_host_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = [("8.8.8.8", 443), ("10.1.2.3", 443)]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *_, **__: _infos(answers))
    with pytest.raises(RefusedAddress, match=r"10\.1\.2\.3"):
        resolve("mixed.example", 443, allow_private=False)


def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name is resolved once; a second answer would never be used."""
    lookups: list[str] = []
    with receiving() as receiver:
        receiver.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        port = int(receiver.url.split(":")[2].split("/")[0])

        def once(host: str, *_: Any, **__: Any) -> list[Any]:
            if host[0].isdigit():  # an address: nothing to look up
                return _infos([(host, port)])
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "10.9.9.9"  # rebinding
            return _infos([(address, port)])

        monkeypatch.setattr(socket, "getaddrinfo", once)
        answer = post(f"http://hooks.example:{port}/x", b"{}", {}, allow_private=True)
    assert answer.status == 401  # reached the receiver (unsigned, so refused by it)
    assert lookups == ["hooks.example"]


def _infos(answers: list[tuple[str, int]]) -> list[Any]:
    return [
        (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, p))
        for a, p in answers
    ]
