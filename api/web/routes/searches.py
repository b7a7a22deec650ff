"""Saved searches on the billing history page (R12): save its filters by name, apply one
from the menu, delete one. The same commands as `/v1/me/saved-searches`."""

from __future__ import annotations

from fastapi.responses import Response

from api.schemas.searches import NewSavedSearch
from api.web.routes.common import Ctx, Posted, console_router
from api.web.routes.forms import attempt, back, text
from api.web.routes.invoices import history
from domain.searches import FILTER_NAMES

router = console_router()


@router.post("/console/saved-searches")
def save(ctx: Ctx, form: Posted) -> Response:
    """R12: keep the history page's current filters under a name."""
    filters = {name: text(form, name) for name in FILTER_NAMES if text(form, name)}

    def write() -> int:
        body = NewSavedSearch.model_validate({"name": text(form, "name"), "filters": filters})
        return ctx.app.save_search(ctx.person, body.name, body.filters.as_query()).position

    return attempt(
        write, lambda e: history(ctx, e), back(ctx, "/console/invoices", "search_saved", **filters)
    )


@router.post("/console/saved-searches/{sid}/delete")
def delete(ctx: Ctx, sid: str, form: Posted) -> Response:  # noqa: ARG001 (CSRF-checked)
    """R12: forget one of your saved searches."""

    def write() -> int:
        return ctx.app.delete_saved_search(ctx.person, sid[:64]).position

    return attempt(
        write, lambda e: history(ctx, e), back(ctx, "/console/invoices", "search_deleted")
    )
