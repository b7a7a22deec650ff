"""Issues 5 and 19: the invoice lists write their page straight from the stored rows (no
models for the list body), and that page is exactly what the declared schema would send.

Until issue 19 a shortcut beside FastAPI's router answered plain list requests and these
tests compared its bytes with the routed answer; now there is one route, and they compare
its bytes with `Page[InvoiceOut]` serialised as FastAPI does, with the detail route's fields,
and its refusals with the ones the error table gives.
"""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.schemas import InvoiceOut, Page
from tests.e2e.http import As, World

LIST_FIELDS = tuple(InvoiceOut.model_fields)


def _as_the_schema_sends_it(answer: httpx.Response) -> bytes:
    model = Page[InvoiceOut].model_validate_json(answer.content)
    return bytes(JSONResponse(jsonable_encoder(model)).body)


def _plain(caller: As, url: str, **params: str) -> httpx.Response:
    return caller.client.get(url, params=params, headers=caller.headers)


def test_a_history_page_is_byte_for_byte_the_declared_schema(world: World) -> None:
    for account in (world.accounts[0], world.accounts[1], world.accounts[0]):
        world.issue(account)
    url = f"/v1/companies/{world.cid}/invoices"
    first = world.admin.get(url, params={"limit": "2"})
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.content == _as_the_schema_sends_it(first)
    rest = world.admin.get(url, params={"limit": "2", "cursor": first.json()["next"]})
    assert rest.content == _as_the_schema_sends_it(rest)
    assert len(first.json()["items"]) + len(rest.json()["items"]) == 3


def test_each_listed_invoice_has_the_detail_routes_fields(world: World) -> None:
    world.issue(world.accounts[0], amount="12.5")
    listed = world.admin.get(f"/v1/companies/{world.cid}/invoices").json()["items"]
    assert listed
    for item in listed:
        detail: dict[str, Any] = world.admin.get(f"/v1/invoices/{item['invoice_id']}").json()
        assert {k: detail[k] for k in LIST_FIELDS} == item


def test_a_granted_users_page_shows_only_their_accounts(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    world.issue(world.accounts[0])
    world.issue(world.accounts[1])
    page = bob.get(f"/v1/companies/{world.cid}/invoices")
    assert page.content == _as_the_schema_sends_it(page)
    assert {i["account"]["number"] for i in page.json()["items"]} == {world.accounts[0]["number"]}


def test_an_archive_page_is_byte_for_byte_the_declared_schema(world: World) -> None:
    page = world.admin.get(f"/v1/companies/{world.cid}/invoices/archive")
    assert page.status_code == 200
    assert page.content == _as_the_schema_sends_it(page)


def test_the_openapi_text_declares_both_lists_as_pages_of_invoices(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    for path in ("/v1/companies/{cid}/invoices", "/v1/companies/{cid}/invoices/archive"):
        answer = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": "#/components/schemas/Page_InvoiceOut_"}


@pytest.mark.parametrize("limit", ["0", "501", "x"])
def test_an_invalid_limit_is_refused_by_the_error_table(world: World, limit: str) -> None:
    answer = _plain(world.admin, f"/v1/companies/{world.cid}/invoices", limit=limit)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_forged_cursor_is_refused(world: World) -> None:
    url = f"/v1/companies/{world.cid}/invoices"
    answer = _plain(world.admin, url, cursor="not-a-cursor-we-handed-out")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_request_without_a_token_is_401_with_the_bearer_challenge(world: World) -> None:
    no_token = world.client.get(f"/v1/companies/{world.cid}/invoices")
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_stranger_finds_no_company(world: World) -> None:
    answer = _plain(world.person("mallory"), f"/v1/companies/{world.cid}/invoices")
    assert answer.status_code == 404


def test_r5_a_removed_users_request_is_refused_at_once(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    url = f"/v1/companies/{world.cid}/invoices"
    assert _plain(bob, url).status_code == 200
    removed = world.admin.delete(f"/v1/companies/{world.cid}/users/bob", params={"confirm": "true"})
    assert removed.status_code == 204
    assert _plain(bob, url).status_code == 404  # the store decides, not the lagging read model


def test_an_unknown_company_is_404(world: World) -> None:
    url = "/v1/companies/00000000-0000-4000-8000-000000000000/invoices"
    assert _plain(world.admin, url).status_code == 404
