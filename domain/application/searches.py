"""R12: a member's own saved searches (named invoice filters), private to them."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import uuid4

from domain.application.retries import Receipt, command
from domain.application.service import Service
from domain.caller import Caller
from domain.errors import NotFound
from domain.searches import SavedSearch
from domain.user import User


class SavedSearches(Service):
    """Save, list and delete one's own searches; no one else sees or changes them."""

    @command
    def save_search(self, caller: Caller, name: str, filters: Mapping[str, object]) -> Receipt[str]:
        """R12: keep a named filter for the caller; returns its id."""
        user = self._member(caller)
        search_id = uuid4().hex
        user.save_search(search_id, name, filters)
        return Receipt(self._save(user), search_id)

    @command
    def delete_saved_search(self, caller: Caller, search_id: str) -> Receipt[None]:
        """R12: forget one of the caller's saved searches (another's is "not found")."""
        user = self._member(caller)
        user.delete_search(search_id)
        return Receipt(self._save(user), None)

    def saved_searches(self, login: str) -> list[SavedSearch]:
        """R12: a member's saved searches, oldest first (a query: only they ask for them)."""
        return self._of_member(login).saved_searches

    def _member(self, caller: Caller) -> User:
        """R12: saved searches are for members of a company (a service principal has none)."""
        return self._of_member(caller.as_person())

    def _of_member(self, login: str) -> User:
        user = self.user(login)
        if user.company_id is None:
            raise NotFound("company of", login)
        return user
