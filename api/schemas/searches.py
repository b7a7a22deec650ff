"""Saved searches (R12): the caller's own named invoice filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.values import DomainRule, In
from domain import searches

SearchName = Annotated[str, DomainRule.of(searches.SEARCH_NAME)]
Day = Annotated[str, StringConstraints(max_length=10), Field(examples=["2026-01-31"])]
Amount = Annotated[str, StringConstraints(max_length=searches.AMOUNT_CHARS)]


class SearchFilters(In):
    """The billing history's filters, as its page's query names them (all optional)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    section: Literal["HISTORY", "ARCHIVE"] | None = None
    account: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, examples=["US-A0000001"]
    )
    status: Literal["open", "paid"] | None = None
    from_: Day | None = Field(default=None, alias="from", description="Issued on or after.")
    to: Day | None = Field(default=None, description="Issued on or before.")
    min: Amount | None = None
    max: Amount | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="An invoice number (part of it) or a tracking number."
    )
    sort: Literal[*searches.SORTABLE] | None = None  # type: ignore[valid-type]
    dir: Literal["asc", "desc"] | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as the history page's query parameters."""
        return self.model_dump(by_alias=True, exclude_none=True)


class NewSavedSearch(In):
    """R12: a name and the filters it stands for."""

    name: SearchName
    filters: SearchFilters


class SavedSearchOut(In):
    """One saved search."""

    saved_search_id: str
    name: str
    filters: dict[str, str]


class SavedSearchCreated(In):
    """201 of saving a search."""

    saved_search_id: str
    position: int


class SavedSearches(In):
    """The caller's saved searches, oldest first."""

    items: list[SavedSearchOut]
