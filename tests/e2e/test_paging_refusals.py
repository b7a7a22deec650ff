"""Issue 17: whatever a caller puts in `limit`, `cursor` or `after`, a list answers 422
problem+json, never a 500, on the plain invoice-list path and FastAPI's alike.

A cursor is only one the same list handed out to the same caller: random base64, valid
base64 of garbage and another company's cursor are all refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api.tokens import Scope
from tests.conftest import POSTGRES
from tests.e2e.http import As, World, enroll, running, store_url_of

PEOPLE_LISTS = ("invoices", "invoices/archive", "accounts", "users", "payment-methods")
BAD_LIMITS = ("²", "NaN", "1e400", "-1", "0", "501", "1.5", "9" * 400, "", "٣")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = (
    "²",
    "-1",
    "9" * 400,
    "not base64 at all!",
    _b64(b"\x8f\x00garbage\xff"),
    _b64(bytes(range(7, 47))),  # random bytes of a sealed cursor's length
    _b64(json.dumps([{"a": 1}, [2]]).encode()),
    _b64(json.dumps(["2025-01-01", "x"]).encode()),
    _b64(json.dumps([1e308, 1e308]).encode()),
    _b64(json.dumps(["\u0000"]).encode()),
    _b64(json.dumps(None).encode()),
)


@dataclass
class Lists:
    """Two companies with two of everything, so every list of both has a second page."""

    ours: World
    theirs: World


def _populate(world: World) -> None:
    for account in world.accounts:
        world.issue(account)
    world.add_user("u1-" + world.admin.login, "VIEW_ONLY")
    for bank in ("021000021", "011000015"):
        body = {"holder": "Acme Inc.", "bank_code": bank, "account_number": "000123456789"}
        added = world.admin.post(f"/v1/companies/{world.cid}/payment-methods", json=body)
        assert added.status_code == 201, added.text


@pytest.fixture(scope="module", params=["sqlite", POSTGRES])
def lists(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lists]:
    tmp = tmp_path_factory.mktemp("paging")
    url = store_url_of(request, tmp)
    with running(url, str(tmp)) as client:
        ours, theirs = enroll(client, "alice"), enroll(client, "zoe")
        _populate(ours)
        _populate(theirs)
        yield Lists(ours, theirs)


def _url(world: World, path: str) -> str:
    return f"/v1/companies/{world.cid}/{path}"


def _refused(caller: As, url: str, params: dict[str, str]) -> None:
    """Both ways in (plain, and routed by FastAPI because of `min_position`) answer 422."""
    for extra in ({}, {"min_position": "0"}):
        answer = caller.client.get(url, params={**params, **extra}, headers=caller.headers)
        assert answer.status_code == 422, (url, params, extra, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == 422


@pytest.mark.parametrize("path", PEOPLE_LISTS)
@pytest.mark.parametrize("limit", BAD_LIMITS)
def test_a_malformed_limit_is_422_on_every_list(lists: Lists, path: str, limit: str) -> None:
    _refused(lists.ours.admin, _url(lists.ours, path), {"limit": limit})


@pytest.mark.parametrize("path", PEOPLE_LISTS)
@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_forged_cursor_is_422_on_every_list(lists: Lists, path: str, cursor: str) -> None:
    _refused(lists.ours.admin, _url(lists.ours, path), {"cursor": cursor})


@pytest.mark.parametrize("path", PEOPLE_LISTS)
def test_another_companys_cursor_is_422(lists: Lists, path: str) -> None:
    source = "invoices" if path == "invoices/archive" else path  # their archive is empty
    theirs = lists.theirs.admin.get(_url(lists.theirs, source), params={"limit": "1"})
    assert theirs.status_code == 200, theirs.text
    cursor = theirs.json()["next"]
    assert cursor is not None
    _refused(lists.ours.admin, _url(lists.ours, path), {"cursor": cursor})


@pytest.mark.parametrize("path", [p for p in PEOPLE_LISTS if p != "invoices/archive"])
def test_a_handed_out_cursor_altered_anywhere_is_422(lists: Lists, path: str) -> None:
    url = _url(lists.ours, path)
    cursor = lists.ours.admin.get(url, params={"limit": "1"}).json()["next"]
    for at in range(len(cursor)):
        altered = cursor[:at] + ("A" if cursor[at] != "A" else "B") + cursor[at + 1 :]
        _refused(lists.ours.admin, url, {"cursor": altered})


@pytest.mark.parametrize("path", ["invoices", "accounts"])  # the lists a VIEW_ONLY user reads
def test_another_callers_cursor_is_422(lists: Lists, path: str) -> None:
    """The cursor is the caller's: another user's list may hold other items (R4)."""
    url = _url(lists.ours, path)
    cursor = lists.ours.admin.get(url, params={"limit": "1"}).json()["next"]
    _refused(lists.ours.person("u1-alice"), url, {"cursor": cursor})


@pytest.mark.parametrize("path", [p for p in PEOPLE_LISTS if p != "invoices/archive"])
def test_a_handed_out_cursor_pages_on(lists: Lists, path: str) -> None:
    url = _url(lists.ours, path)
    first = lists.ours.admin.get(url, params={"limit": "1"}).json()
    rest = lists.ours.admin.get(url, params={"limit": "500", "cursor": first["next"]})
    assert rest.status_code == 200, rest.text
    assert first["items"][0] not in rest.json()["items"]
    assert rest.json()["items"]


@pytest.mark.parametrize("after", ["²", "NaN", "1e400", "-1", "9" * 400, "", "0x10"])
def test_a_malformed_audit_position_is_422(lists: Lists, after: str) -> None:
    auditor = As(lists.ours.client, "inspector", Scope.AUDITOR)
    answer = auditor.client.get("/v1/audit/events", params={"after": after},
                                headers=auditor.headers)  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
