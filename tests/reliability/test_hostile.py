"""Issue 9, hostile input: forged tokens, oversized headers, poisonous strings and bodies.

The identity tests (tests/e2e/test_identity.py) cover `alg: none`, HS512, another secret,
expiry and missing claims; here the forgeries they do not: RS256, an HMAC signature under an
`RS256` header (key confusion), HS384, `None`/`NONE`, a future `nbf`, non-numeric `exp`.
Then strings with SQL/JSON metacharacters and control characters, invalid UTF-8, huge page
sizes (hypothesis): always a 4xx or a 2xx that stored exactly what was sent, never a 500,
and a refused request stores nothing. Every answer carries `nosniff`; authenticated ones
`Cache-Control: no-store`; none names the server or shows a stack trace.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from domain.text import COMPANY_ADDRESS, COMPANY_NAME
from tests.e2e.http import SECRET, World, enroll, running, token
from tests.reliability.service import serving


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hostile")
    with running(f"sqlite:///{Path(tmp) / 'events.sqlite'}", str(tmp)) as client:
        yield enroll(client)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing}.{_b64(signature)}"


def _claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "alice", "exp": int(time.time()) + 600, **extra}


def _rs256() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(), key, algorithm="RS256")


FORGERIES: dict[str, Callable[[], str]] = {
    "RS256 with a key of its own": _rs256,
    "HMAC under an RS256 header": lambda: _forged(
        {"alg": "RS256", "typ": "JWT"}, _claims(), SECRET.encode()
    ),
    "HS384": lambda: jwt.encode(_claims(), SECRET, algorithm="HS384"),
    "alg None": lambda: _forged({"alg": "None"}, _claims(), None),
    "alg NONE": lambda: _forged({"alg": "NONE"}, _claims(), None),
    "nbf in the future": lambda: jwt.encode(_claims(nbf=int(time.time()) + 600), SECRET),
    "exp as text": lambda: jwt.encode({"sub": "alice", "exp": "tomorrow"}, SECRET),
    "sub not text": lambda: jwt.encode(_claims(sub=42), SECRET),
    "empty sub": lambda: jwt.encode(_claims(sub=""), SECRET),
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # signed so on purpose
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_token_is_401(world: World, forgery: str) -> None:
    bearer = FORGERIES[forgery]()
    response = world.client.get("/v1/me", headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 401, response.text


@pytest.mark.postgres
def test_an_oversized_header_is_refused_by_the_server_never_500(
    postgres_url: str, tmp_path: Path
) -> None:
    """Over uvicorn itself: 64 KB of Authorization, then 300 headers."""
    with (
        serving(postgres_url, tmp_path) as service,
        httpx.Client(base_url=service.base_url, timeout=10) as client,
    ):
        huge = {"Authorization": "Bearer " + "a" * 64 * 1024}
        many = {f"X-H{n}": "v" * 100 for n in range(300)}
        for headers in (huge, many):
            try:
                status = client.get("/v1/me", headers=headers).status_code
            except httpx.RemoteProtocolError:
                continue  # the server closed the connection: refused, not failed
            assert status in {400, 401, 413, 431}, status


# --- strings and bodies ------------------------------------------------------------------

POISON = st.one_of(
    st.sampled_from(
        [
            "'; DROP TABLE billingcenter_events; --",
            '"}]}',
            "\\u0000",
            "%s%s%n",
            "?",
            "$1",
            "\u202eevil",
            "a\x00b",
            "\r\nX-Injected: 1",
            "{{7*7}}",
            "../../etc/passwd",
            "",
        ]
    ),
    st.text(max_size=300),
)


def _head(world: World) -> int:
    return int(world.client.get("/health").json()["store"]["head"])


@given(name=POISON, address=POISON)
def test_poisonous_company_information_is_refused_or_stored_verbatim(
    world: World, name: str, address: str
) -> None:
    """R10 as a hostile Administrator: 4xx and nothing stored, or 200 and read back as the text
    rule keeps it (NFC, trimmed, CR LF as LF: domain/text.py)."""
    head = _head(world)
    url = f"/v1/companies/{world.cid}"
    response = world.admin.put(url, json={"name": name, "address": address})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert _head(world) == head
        return
    shown = world.admin.get(url).json()
    assert (shown["name"], shown["address"]) == (COMPANY_NAME(name), COMPANY_ADDRESS(address))


@given(login=POISON, email=POISON, name=POISON)
def test_poisonous_users_are_refused_or_stored_verbatim(
    world: World, login: str, email: str, name: str
) -> None:
    head = _head(world)
    body = {"login": login, "email": email, "name": name, "role": "VIEW_ONLY", "accounts": []}
    response = world.admin.post(f"/v1/companies/{world.cid}/users", json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert _head(world) == head


@given(body=st.binary(max_size=200))
def test_any_bytes_as_a_body_are_a_4xx(world: World, body: bytes) -> None:
    """Invalid UTF-8, truncated JSON, NUL bytes: refused, nothing stored."""
    head = _head(world)
    response = world.admin.post(
        f"/v1/companies/{world.cid}/users",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert _head(world) == head


@given(limit=st.one_of(st.integers(), st.text(max_size=30)), cursor=POISON)
def test_any_page_size_or_cursor_is_a_2xx_or_4xx(world: World, limit: object, cursor: str) -> None:
    params = {"limit": str(limit), "cursor": cursor}
    for path in ("invoices", "users", "invoices/archive"):
        response = world.admin.get(f"/v1/companies/{world.cid}/{path}", params=params)
        assert response.status_code < 500, (path, params, response.text)
        if response.status_code == 200:
            assert len(response.json()["items"]) <= 500


# --- headers -------------------------------------------------------------------------------


def _answers(world: World) -> list[tuple[bool, httpx.Response]]:
    client, cid = world.client, world.cid
    auth = {"Authorization": f"Bearer {token('alice')}"}
    return [
        (False, client.get("/health")),
        (False, client.get("/v1/me")),
        (False, client.get("/nowhere")),
        (False, client.get("/openapi.json")),
        (True, client.get("/v1/me", headers=auth)),
        (True, client.get(f"/v1/companies/{cid}", headers=auth)),
        (True, client.get(f"/v1/companies/{cid}/invoices.csv", headers=auth)),
        (True, client.get(f"/v1/companies/{cid}/nowhere", headers=auth)),
        (True, client.delete("/v1/me", headers=auth)),
        (True, client.put(f"/v1/companies/{cid}", headers=auth, content=b"{")),
        (True, client.post("/v1/invoices", headers=auth, content=b"x" * (1024 * 1024 + 1))),
        (True, client.get(f"/v1/companies/{cid}/invoices", headers=auth, params={"limit": 0})),
    ]


def test_every_answer_says_nosniff_and_names_no_server(world: World) -> None:
    for _, response in _answers(world):
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.url
        assert "server" not in response.headers
        assert "Traceback" not in response.text
        assert 'File "' not in response.text


def test_every_authenticated_answer_is_no_store(world: World) -> None:
    for authenticated, response in _answers(world):
        if authenticated:
            assert response.headers.get("Cache-Control") == "no-store", response.url


def test_the_console_forbids_framing_and_inline_script(world: World) -> None:
    """Issue 9: the console has a Content-Security-Policy, no framing, a referrer policy."""
    response = world.client.get("/console", follow_redirects=True)
    assert response.status_code < 500, response.status_code
    assert response.headers.get("content-type", "").startswith("text/html")
    assert (
        "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
        or response.headers.get("X-Frame-Options") == "DENY"
    )
    assert response.headers.get("Content-Security-Policy")
    assert response.headers.get("Referrer-Policy")
