"""The User aggregate: one per login, ever: which company it belongs to, its profile and
notification preferences (R5, R8, R10).

Its id is derived from the login, so two companies adding the same login write to the
same aggregate and the store itself refuses the second writer (R5).
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.errors import InvalidInput, LoginTaken, NotFound
from domain.values import Notification

_LOGIN = re.compile(r"^[^\s\x00-\x1f\x7f]{1,128}$")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")

ERASED = "[erased]"
"""C4: what an erased name reads as (an erased e-mail reads as no address at all)."""

EMAIL_LIMIT = 254
NAME_LIMIT = 200

ALL_ON = {kind.value: True for kind in Notification}
"""R8 (decision): every notification is on when a user is added."""


def login_id(login: str) -> UUID:
    """The User aggregate id of a login."""
    return uuid5(NAMESPACE_URL, f"billing-center:user:{login}")


def valid_login(login: str) -> str:
    """A login id: 1 to 128 characters, no spaces or control characters."""
    if not _LOGIN.match(login):
        raise InvalidInput("login", "1 to 128 characters without spaces", rule="R5")
    return login


def valid_profile(email: str, name: str) -> tuple[str, str]:
    """R5: an e-mail address and a name are required."""
    email, name = email.strip(), name.strip()
    if len(email) > EMAIL_LIMIT or not _EMAIL.match(email):
        raise InvalidInput("email", "an e-mail address", rule="R5")
    if not name or len(name) > NAME_LIMIT or not name.isprintable():
        raise InvalidInput("name", "1 to 200 printable characters", rule="R5")
    return email, name


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
        wanted = {k.value: preferences.get(k, self.preferences[k.value]) for k in Notification}
        if wanted != self.preferences:
            self._preferences_changed(preferences=wanted)

    @event("NotificationPreferencesChanged")
    def _preferences_changed(self, preferences: dict[str, bool]) -> None:
        self.preferences = dict(preferences)

    def wants(self, kind: Notification) -> bool:
        """R8: whether this user wants e-mails of `kind`."""
        return self.preferences.get(kind.value, True)
