"""Saved searches (R12): a member's own named invoice filters.

A filter is what the billing history page is asked (its query): which section, account,
status, issue dates, amounts, an invoice or tracking number, and the order. Saved, it is
the same query by name; nothing about visibility is saved (R4 applies when it runs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidInput
from domain.text import FreeText

MAX_SAVED_SEARCHES = 50
"""R12 (decision): a person keeps at most this many; a menu of more helps nobody."""

SEARCH_NAME = FreeText("name", 80, rule="R12")
SEARCH_TEXT = FreeText("q", 100, rule="R12")
AMOUNT_CHARS = 20
_AMOUNT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,2})?")
SORTABLE = ("invoice_number", "account", "issue_date", "due_date", "amount", "balance", "status")
_ACCOUNT = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,32}")
_CHOICES: dict[str, tuple[str, ...]] = {
    "section": ("HISTORY", "ARCHIVE"),
    "status": ("open", "paid"),
    "sort": SORTABLE,
    "dir": ("asc", "desc"),
}


@dataclass(frozen=True)
class SavedSearch:
    """One saved search: its id, name and filters (query parameter -> value)."""

    search_id: str
    name: str
    filters: dict[str, str]


def valid_filters(filters: Mapping[str, object]) -> dict[str, str]:
    """The filters as they are kept: known names, each value checked (InvalidInput, R12)."""
    kept: dict[str, str] = {}
    for name, value in filters.items():
        if not isinstance(value, str):
            raise InvalidInput(f"filters.{name}", "text", rule="R12")
        if value := value.strip():
            kept[name] = _checked(name, value)
    return dict(sorted(kept.items()))


def _checked(name: str, value: str) -> str:
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise InvalidInput(f"filters.{name}", " or ".join(_CHOICES[name]), rule="R12")
        return value
    if name == "account":
        if not _ACCOUNT.fullmatch(value):
            raise InvalidInput("filters.account", "an account as CC-NUMBER", rule="R12")
        return value
    if name in {"from", "to"}:
        return _day(name, value)
    if name in {"min", "max"}:
        return _amount(name, value)
    if name == "q":
        return SEARCH_TEXT(value)
    raise InvalidInput(f"filters.{name}", f"one of {', '.join(FILTER_NAMES)}", rule="R12")


def _day(name: str, value: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or day.isoformat() != value:  # only YYYY-MM-DD, as the page sends it
        raise InvalidInput(f"filters.{name}", "a date YYYY-MM-DD", rule="R12")
    return value


def _amount(name: str, value: str) -> str:
    plain = value.replace(",", ".")  # as the page reads what a French keyboard types
    if not _AMOUNT.fullmatch(plain):
        raise InvalidInput(f"filters.{name}", "an amount such as 120.50", rule="R12")
    return plain


FILTER_NAMES = ("section", "account", "status", "from", "to", "min", "max", "q", "sort", "dir")
