"""The User aggregate: one per login, ever: which company it belongs to, its profile and
notification preferences (R5, R8, R10).

Its id is derived from the login, so two companies adding the same login write to the
same aggregate and the store itself refuses the second writer (R5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.errors import InvalidInput, LoginTaken, NotFound, SearchNameTaken
from domain.searches import MAX_SAVED_SEARCHES, SEARCH_NAME, SavedSearch, valid_filters
from domain.statements import Frequency
from domain.text import USER_NAME
from domain.text import email as valid_email
from domain.values import Notification

ERASED = "[erased]"
"""C4: what an erased name reads as (an erased e-mail reads as no address at all)."""

ALL_ON = {kind.value: True for kind in Notification}
"""R8 (decision): every notification is on when a user is added."""

_KINDS = tuple((kind, kind.value) for kind in Notification)
"""Each notification with its stored name, looked up once (issue 21: an enum's `.value` is
two Python calls, and every preference command asks for each)."""


def login_id(login: str) -> UUID:
    """The User aggregate id of a login."""
    return uuid5(NAMESPACE_URL, f"billing-center:user:{login}")


def valid_profile(email: str, name: str) -> tuple[str, str]:
    """R5: an e-mail address and a name are required (the text rule, domain/text.py)."""
    return valid_email(email), USER_NAME(name)


class User(BillingAggregate):
    """A person's login: at most one company at a time (R5, decision)."""

    @staticmethod
    def create_id(login: str) -> UUID:
        """Derived from the login, for uniqueness without races."""
        return login_id(login)

    @event("UserRegistered")
    def __init__(self, login: str) -> None:
        self.login = login
        self.company_id: str | None = None
        self.email = ""
        self.name = ""
        self.preferences: dict[str, bool] = dict(ALL_ON)
        self.searches: dict[str, dict[str, Any]] = {}
        self.statement: str | None = None

    def join(self, company_id: UUID, email: str, name: str) -> None:
        """R5: the login joins a company; refused while it is in one."""
        if self.company_id is not None:
            raise LoginTaken(f"{self.login} already belongs to a company")
        email, name = valid_profile(email, name)
        self._joined(company_id=str(company_id), email=email, name=name)

    @event("UserJoinedCompany")
    def _joined(self, company_id: str, email: str, name: str) -> None:
        self.company_id = company_id
        self.email = email
        self.name = name
        self.preferences = dict(ALL_ON)

    def leave(self, company_id: UUID) -> None:
        """R5: removed from the company; the login may be added again later."""
        if self.company_id != str(company_id):
            raise NotFound("user", self.login)
        self._left(company_id=str(company_id))

    @event("UserLeftCompany")
    def _left(self, company_id: str) -> None:
        self.company_id = None
        self.statement = None  # R12: statements are of a company's invoices

    def change_profile(self, email: str, name: str) -> None:
        """R10: name and e-mail kept up to date."""
        email, name = valid_profile(email, name)
        if (email, name) != (self.email, self.name):
            self._profile_changed(email=email, name=name)

    @event("UserProfileChanged")
    def _profile_changed(self, email: str, name: str) -> None:
        self.email = email
        self.name = name

    def erase_personal_data(self) -> None:
        """C4: the person's name and e-mail are erased, here and in every copy that follows
        this event (caches, read models); the events that carried them stay, sealed."""
        self._personal_data_erased()

    @event("PersonalDataErased")
    def _personal_data_erased(self) -> None:
        self.email = ""  # no address: nothing is ever mailed to an erased person
        self.name = ERASED

    def set_preferences(self, preferences: dict[Notification, bool]) -> None:
        """R8: each user sets their own e-mail notifications."""
        kept = self.preferences
        wanted = {name: preferences.get(kind, kept[name]) for kind, name in _KINDS}
        if wanted != self.preferences:
            self._preferences_changed(preferences=wanted)

    @event("NotificationPreferencesChanged")
    def _preferences_changed(self, preferences: dict[str, bool]) -> None:
        self.preferences = dict(preferences)

    def wants(self, kind: Notification) -> bool:
        """R8: whether this user wants e-mails of `kind`."""
        return self.preferences.get(kind.value, True)

    # --- saved searches (R12) ---------------------------------------------------------

    @property
    def saved_searches(self) -> list[SavedSearch]:
        """R12: the person's own saved searches, oldest first."""
        kept: dict[str, dict[str, Any]] = getattr(self, "searches", {})
        return [SavedSearch(sid, s["name"], dict(s["filters"])) for sid, s in kept.items()]

    def save_search(self, search_id: str, name: str, filters: Mapping[str, object]) -> None:
        """R12: keep a named invoice filter; names are unique per person, and few."""
        name, kept = SEARCH_NAME(name), valid_filters(filters)
        if any(s.name.casefold() == name.casefold() for s in self.saved_searches):
            raise SearchNameTaken(f"a saved search is already named {name!r}")
        if len(self.saved_searches) >= MAX_SAVED_SEARCHES:
            raise InvalidInput("name", f"at most {MAX_SAVED_SEARCHES} saved searches", rule="R12")
        self._search_saved(search_id=search_id, name=name, filters=kept)

    @event("SearchSaved")
    def _search_saved(self, search_id: str, name: str, filters: dict[str, str]) -> None:
        if not hasattr(self, "searches"):  # a snapshot taken before R12 has none
            self.searches = {}
        self.searches[search_id] = {"name": name, "filters": dict(filters)}

    def delete_search(self, search_id: str) -> None:
        """R12: forget one of the person's saved searches."""
        if search_id not in getattr(self, "searches", {}):
            raise NotFound("saved search", search_id)
        self._search_deleted(search_id=search_id)

    @event("SavedSearchDeleted")
    def _search_deleted(self, search_id: str) -> None:
        del self.searches[search_id]

    # --- statements (R12) ---------------------------------------------------------------

    @property
    def statement_frequency(self) -> Frequency | None:
        """R12: how often the person receives a statement, if at all."""
        kept = getattr(self, "statement", None)  # a snapshot taken before R12 has none
        return Frequency(kept) if kept else None

    def subscribe_statement(self, frequency: Frequency | None) -> None:
        """R12: receive a statement weekly or monthly, or stop (None)."""
        if frequency != self.statement_frequency:
            self._statement_subscribed(frequency=frequency.value if frequency else None)

    @event("StatementSubscriptionChanged")
    def _statement_subscribed(self, frequency: str | None) -> None:
        self.statement = frequency
