"""API keys in the console (issue 22): an Administrator lists the company's keys, creates
one with a role (never ADMINISTRATOR) and accounts (R4), sees it this once, revokes one."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.datastructures import FormData

from api.api_keys import digest, new_key
from api.schemas.api_keys import NewApiKey
from api.web.routes.common import Ctx, Posted, console_router, member_of
from api.web.routes.forms import attempt, back, form_page, refs
from api.web.routes.forms import text as field
from api.web.routes.forms import texts as fields
from api.web.templating import Console
from domain.values import Role

router = console_router()
KEY_ROLES = [r.value for r in Role if r is not Role.ADMINISTRATOR]
"""R2: every role but ADMINISTRATOR."""


def _page(
    ctx: Console,
    error: Exception | None = None,
    form: FormData | None = None,
    created: str | None = None,
) -> Response:
    member = member_of(ctx)
    keys = ctx.app.company_keys(member.cid, ctx.person.as_person())
    return form_page(ctx, "api_keys.html", error, form, keys=keys, roles=KEY_ROLES,
                     accounts=member.company.accounts, created=created)  # fmt: skip


@router.get("/console/api-keys")
def keys_page(ctx: Ctx) -> Response:
    """R3: the company's keys, for Administrators."""
    return _page(ctx)


@router.post("/console/api-keys")
def create_key(ctx: Ctx, form: Posted) -> Response:
    """Create a key and show it this once (the page is answered, never redirected to, so
    the key is in no address)."""
    member = member_of(ctx)
    key_id, key = new_key()

    def write() -> int:
        body = NewApiKey.model_validate({"name": field(form, "name"), "role": field(form, "role"),
                                         "accounts": refs(fields(form, "accounts"))})  # fmt: skip
        return ctx.app.create_company_key(ctx.person, member.cid, key_id=key_id, name=body.name,
                                          role=body.role, accounts=[a.key() for a in body.accounts],
                                          digest=digest(key)).position  # fmt: skip

    return attempt(write, lambda e: _page(ctx, e, form), lambda _: _page(ctx, created=key))


@router.post("/console/api-keys/{key_id}/revoke")
def revoke_key(ctx: Ctx, key_id: str, form: Posted) -> Response:
    """Revoke a key: refused from its next request on."""
    member = member_of(ctx)
    del form

    def write() -> int:
        return ctx.app.revoke_company_key(ctx.person, member.cid, key_id).position

    return attempt(write, lambda e: _page(ctx, e), back(ctx, "/console/api-keys", "key_revoked"))
