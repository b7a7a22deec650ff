"""A company's API keys (issue 22, API.md "Identity providers, API keys and webhooks"):
created with a role and grants as R4 (never ADMINISTRATOR), listed without secrets,
revoked at once; Administrators only (R3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from api.api_keys import digest, new_key
from api.http.deps import App, CurrentCaller, ShowsSecret, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.schemas import AccountRef
from api.schemas.api_keys import NewApiKey
from api.translate import keys
from domain.application.api_keys import KeyView
from domain.values import AccountKey, Role

router = APIRouter(
    route_class=OneHopRoute,
    prefix="/v1/companies/{cid}/api-keys",
    tags=["api keys"],
    responses=COMMON,
)

KeyPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


class ApiKeyCreated(BaseModel):
    """201: the key's id and the key itself, shown this once."""

    key_id: str
    key: str
    position: int


class ApiKeyOut(BaseModel):
    """A key without its secret."""

    key_id: str
    name: str
    role: Role | None
    accounts: list[AccountRef]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyList(BaseModel):
    """The company's keys that are not revoked."""

    items: list[ApiKeyOut]


def key_out(view: KeyView) -> ApiKeyOut:
    """A key as the list shows it."""
    accounts = [AccountKey.recorded(a) for a in view.accounts]
    return ApiKeyOut(
        key_id=view.key_id,
        name=view.name,
        role=Role(view.role) if view.role else None,
        accounts=[AccountRef(country=a.country, number=a.number) for a in accounts],
        created_by=view.created_by,
        created_at=view.created_at,
        last_used_at=datetime.fromisoformat(view.last_used_at) if view.last_used_at else None,
    )


@router.post("", status_code=201, responses=WRITE, dependencies=[ShowsSecret])
def create_key(
    *, cid: UUID, body: NewApiKey, caller: CurrentCaller, app: App, response: Response
) -> ApiKeyCreated:
    """Create a key acting as `key:<key_id>` with the role and grants given (R3, R4)."""
    key_id, key = new_key()
    receipt = app.create_company_key(caller, cid, key_id=key_id, name=body.name, role=body.role,
                                     accounts=keys(body.accounts), digest=digest(key))  # fmt: skip
    return ApiKeyCreated(key_id=key_id, key=key, position=written(response, receipt.position))


@router.get("", responses=READ)
def list_keys(*, cid: UUID, caller: CurrentCaller, app: App) -> ApiKeyList:
    """The company's keys, without their secrets (Administrators, R3)."""
    return ApiKeyList(items=[key_out(v) for v in app.company_keys(cid, caller.as_person())])


@router.delete("/{key_id}", status_code=204, responses=WRITE)
def revoke_key(*, cid: UUID, key_id: KeyPath, caller: CurrentCaller, app: App) -> Response:
    """Revoke a key: refused from the next request on (R3)."""
    receipt = app.revoke_company_key(caller, cid, key_id)
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})
