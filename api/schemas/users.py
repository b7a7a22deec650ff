"""Bodies of the user routes and `/v1/me`: adding (R5), roles (R3, R9), grants (R4),
profiles (R7, R10) and notification preferences (R8)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.accounts import AccountRef
from api.schemas.values import Email, In, Login, Name, example
from domain.values import Role


class NewUser(In):
    """R5: a user to add, with a role and (for non-Administrators) granted accounts."""

    model_config = example(
        {
            "login": "bob",
            "email": "bob@acme.test",
            "name": "Bob",
            "role": "VIEW_PAY",
            "accounts": [{"country": "US", "number": "1A2B3C"}],
        }
    )

    login: Login
    email: Email
    name: Name
    role: Role
    # pydantic copies a default per instance; ruff cannot see that `In` is a model here.
    accounts: Annotated[list[AccountRef], Field(max_length=500)] = []  # noqa: RUF012


class UserCreated(BaseModel):
    """201 of adding a user."""

    login: str
    position: int


class UserOut(BaseModel):
    """A user; `role` and `general_administrator` only where R7 allows (else null)."""

    login: str
    email: str
    name: str
    role: Role | None = None
    accounts: list[AccountRef]
    general_administrator: bool | None = None


class UserChanged(UserOut):
    """200 of a change to a user."""

    position: int


class Profile(In):
    """R10: a user's e-mail and name."""

    email: Email
    name: Name


class RoleIn(In):
    """R3/R9: the new role."""

    role: Role


class Grants(In):
    """R4/R9: exactly the accounts granted (the others are revoked)."""

    accounts: Annotated[list[AccountRef], Field(max_length=500)]


class Preferences(In):
    """R8: the e-mails the user wants."""

    model_config = ConfigDict(extra="forbid")

    INVOICE_AVAILABLE: Annotated[bool, Field(strict=True)]
    PAYMENT_RECEIVED: Annotated[bool, Field(strict=True)]
    ADJUSTMENT_UPDATED: Annotated[bool, Field(strict=True)]


class PreferencesChanged(BaseModel):
    """200 of setting one's notification preferences."""

    INVOICE_AVAILABLE: bool
    PAYMENT_RECEIVED: bool
    ADJUSTMENT_UPDATED: bool
    position: int


class MyCompany(BaseModel):
    """The company of `/v1/me`."""

    company_id: UUID
    name: str


class Me(BaseModel):
    """`/v1/me`: who the caller is; the role only for Administrators (R7)."""

    login: str
    scope: str | None = None
    email: str | None = None
    name: str | None = None
    company: MyCompany | None = None
    role: Role | None = None
    general_administrator: bool = False
    accounts: list[AccountRef] = []
    pending: list[MyCompany] = []
    notifications: dict[str, bool] | None = None


class OwnProfileChanged(BaseModel):
    """200 of `PUT /v1/me/profile` (R10): your profile, without any role (R7)."""

    login: str
    email: str
    name: str
    position: int
