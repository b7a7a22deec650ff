"""The caller's own saved searches (R12): named invoice filters, private to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.http.deps import App, CurrentCaller, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.schemas.searches import NewSavedSearch, SavedSearchCreated, SavedSearches, SavedSearchOut

router = APIRouter(
    route_class=OneHopRoute, prefix="/v1/me/saved-searches", tags=["me"], responses=COMMON
)

SearchPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


@router.get("", responses=READ)
def listed(*, caller: CurrentCaller, app: App) -> SavedSearches:
    """Your saved searches, oldest first (yours alone: R12)."""
    return SavedSearches(
        items=[
            SavedSearchOut(saved_search_id=s.search_id, name=s.name, filters=s.filters)
            for s in app.saved_searches(caller.as_person())
        ]
    )


@router.post("", status_code=201, responses=WRITE)
def save(
    *, body: NewSavedSearch, caller: CurrentCaller, app: App, response: Response
) -> SavedSearchCreated:
    """Save the billing history's filters under a name (R12; names are yours, distinct)."""
    receipt = app.save_search(caller, body.name, body.filters.as_query())
    return SavedSearchCreated(
        saved_search_id=receipt.result, position=written(response, receipt.position)
    )


@router.delete("/{sid}", status_code=204, responses=WRITE)
def delete(*, sid: SearchPath, caller: CurrentCaller, app: App) -> Response:
    """Forget one of your saved searches (R12)."""
    receipt = app.delete_saved_search(caller, sid)
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})
