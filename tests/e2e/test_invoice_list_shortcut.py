"""Issue 5: plain invoice-list requests skip FastAPI (api.http.shortcut) and answer the same.

`As.get` always sends `min_position`, which takes the ordinary route; these tests send the
plain request beside it and compare the two answers byte for byte.
"""

from __future__ import annotations

import httpx2 as httpx

from tests.e2e.http import As, World

COMPARED_HEADERS = ("content-type", "cache-control", "x-content-type-options", "www-authenticate")


def _plain(caller: As, url: str, **params: str) -> httpx.Response:
    return caller.client.get(url, params=params, headers=caller.headers)


def _same(plain: httpx.Response, routed: httpx.Response) -> None:
    assert plain.status_code == routed.status_code
    assert plain.content == routed.content
    for name in COMPARED_HEADERS:
        assert plain.headers.get(name) == routed.headers.get(name), name


def test_a_plain_history_page_is_the_routed_one(world: World) -> None:
    for account in (world.accounts[0], world.accounts[1], world.accounts[0]):
        world.issue(account)
    url = f"/v1/companies/{world.cid}/invoices"
    routed = world.admin.get(url, params={"limit": "2"})
    _same(_plain(world.admin, url, limit="2"), routed)
    cursor = routed.json()["next"]
    _same(_plain(world.admin, url, limit="2", cursor=cursor),
          world.admin.get(url, params={"limit": "2", "cursor": cursor}))  # fmt: skip


def test_a_granted_users_plain_page_shows_only_their_accounts(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    world.issue(world.accounts[0])
    world.issue(world.accounts[1])
    url = f"/v1/companies/{world.cid}/invoices"
    routed = bob.get(url)
    _same(_plain(bob, url), routed)
    assert {i["account"]["number"] for i in routed.json()["items"]} == {world.accounts[0]["number"]}


def test_a_plain_archive_page_is_the_routed_one(world: World) -> None:
    url = f"/v1/companies/{world.cid}/invoices/archive"
    _same(_plain(world.admin, url), world.admin.get(url))


def test_refusals_of_plain_requests_are_the_routed_ones(world: World) -> None:
    url = f"/v1/companies/{world.cid}/invoices"
    stranger = world.person("mallory")
    _same(_plain(stranger, url), stranger.get(url))
    for bad in ("0", "501", "x"):
        _same(_plain(world.admin, url, limit=bad), world.admin.get(url, params={"limit": bad}))
    forged = {"cursor": "not-a-cursor-we-handed-out"}
    _same(_plain(world.admin, url, **forged), world.admin.get(url, params=forged))
    no_token = world.client.get(url)
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")


def test_r5_a_removed_users_plain_request_is_refused_at_once(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    url = f"/v1/companies/{world.cid}/invoices"
    assert _plain(bob, url).status_code == 200
    removed = world.admin.delete(f"/v1/companies/{world.cid}/users/bob", params={"confirm": "true"})
    assert removed.status_code == 204
    assert _plain(bob, url).status_code == 404  # the store decides, not the lagging read model


def test_an_unknown_company_plain_request_is_404(world: World) -> None:
    url = "/v1/companies/00000000-0000-4000-8000-000000000000/invoices"
    assert _plain(world.admin, url).status_code == 404
