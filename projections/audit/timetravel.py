"""C1: any aggregate as it was at an instant or a version, rebuilt from events alone.

The version in force at an instant is found by a binary search over the aggregate's
events by their timestamps (one single-event read per step); the aggregate at that
version comes from the repository, which starts from the nearest snapshot at or below it
(the application snapshots every 50-100 events). So a question costs about log2(versions)
small reads plus at most one snapshot interval of replay, never a replay from zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError

from domain.application import BillingCenter
from domain.company import Company
from domain.enrollment import AccountEnrollment, account_id
from domain.invoice import Invoice
from domain.user import User, login_id
from domain.values import AccountKey

A = TypeVar("A")


def timestamp_of(app: BillingCenter, aggregate_id: UUID, version: int) -> datetime:
    """When the aggregate's event `version` happened."""
    (stored,) = app.recorder.select_events(aggregate_id, gt=version - 1, lte=version)
    return datetime.fromisoformat(orjson.loads(stored.state)["timestamp"]["_data_"])


def latest_version(app: BillingCenter, aggregate_id: UUID) -> int:
    """The aggregate's current version (0: no such aggregate)."""
    found = app.recorder.select_events(aggregate_id, desc=True, limit=1)
    return found[0].originator_version if found else 0


def version_at(app: BillingCenter, aggregate_id: UUID, instant: datetime) -> int:
    """The last version recorded at or before `instant` (0: it did not exist yet)."""
    low, high = 0, latest_version(app, aggregate_id)
    while low < high:  # invariant: version `low` happened at or before `instant`
        middle = (low + high + 1) // 2
        if timestamp_of(app, aggregate_id, middle) <= instant:
            low = middle
        else:
            high = middle - 1
    return low


def as_of(
    app: BillingCenter,
    kind: type[A],
    aggregate_id: UUID,
    *,
    at: datetime | None = None,
    version: int | None = None,
) -> A | None:
    """The aggregate at `version`, or as it was at `at`, or now; None if it did not exist."""
    if at is not None:
        version = version_at(app, aggregate_id, at)
        if version == 0:
            return None
    try:
        found: object = app.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, kind) else None


def state(aggregate: object) -> dict[str, Any]:
    """An aggregate's public state, with its id and version."""
    fields = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return {
        "id": str(getattr(aggregate, "id", "")),
        "version": getattr(aggregate, "version", 0),
        "modified_on": getattr(aggregate, "modified_on", None),
        **fields,
    }


def user_as_of(app: BillingCenter, login: str, at: datetime) -> User | None:
    """A login's User as it was at `at` (C4: its personal data as erased, if it is now)."""
    sealer = getattr(app, "sealer", None)
    if sealer is not None:
        sealer.keys.refresh()
    return as_of(app, User, login_id(login), at=at)


def account_as_of(app: BillingCenter, account: str, at: datetime) -> AccountEnrollment | None:
    """An account's enrollment record as it was at `at`."""
    return as_of(app, AccountEnrollment, account_id(AccountKey.recorded(account)), at=at)


def invoice_as_of(app: BillingCenter, invoice: UUID, at: datetime) -> Invoice | None:
    """An invoice as it was at `at`."""
    return as_of(app, Invoice, invoice, at=at)


def account_status(account: AccountEnrollment | None, company_id: str) -> str:
    """ENROLLED if the company holds the account enrolled, else UNENROLLED."""
    enrolled = account is not None and account.enrolled and account.holder == company_id
    return "ENROLLED" if enrolled else "UNENROLLED"


def company_as_of(app: BillingCenter, company_id: UUID, at: datetime) -> dict[str, Any] | None:
    """C1: a company at `at`: users with roles and grants, its title holder, its accounts."""
    company = as_of(app, Company, company_id, at=at)
    if company is None:
        return None
    users = [_user_at(app, company, login, at) for login in sorted(company.roles)]
    accounts = [_account_at(app, str(company.id), key, at) for key in company.accounts]
    return {
        "company_id": str(company.id),
        "as_of": at.isoformat(),
        "version": company.version,
        "name": company.name,
        "address": company.address,
        "general_administrator": company.general_administrator,
        "users": users,
        "accounts": accounts,
    }


def _user_at(app: BillingCenter, company: Company, login: str, at: datetime) -> dict[str, Any]:
    user = user_as_of(app, login, at)
    return {
        "login": login,
        "email": user.email if user else "",
        "name": user.name if user else "",
        "role": company.roles[login],
        "accounts": company.visible_accounts(login),
        "granted": list(company.grants.get(login, [])),
        "general_administrator": login == company.general_administrator,
    }


def _account_at(app: BillingCenter, company_id: str, key: str, at: datetime) -> dict[str, Any]:
    account = account_as_of(app, key, at)
    key_parts = AccountKey.recorded(key)
    return {
        "country": key_parts.country,
        "number": key_parts.number,
        "line_of_business": account.line_of_business if account else None,
        "account_type": account.account_type if account else None,
        "status": account_status(account, company_id),
        "paper_invoices": account_status(account, company_id) != "ENROLLED",
    }
