"""C2: who could see invoice X at instant T, and why.

Rebuilt from events alone (C1's `as_of`), following the live rule
`BillingCenter.visible_invoice` step by step, in its order: the invoice's section for the
user's company (I2, A6), the user's access to the account (R4), the 12-month window (A7).
Everyone who was ever a user of a company that held the account is listed: in
`could_see` with the chain that let them (role or grant, the enrollment interval that
placed the invoice), or in `could_not` with the first rule that stopped them (R5 for those
removed by then).
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import get_topic

from domain.access import Reason
from domain.application import BillingCenter
from domain.company import Company
from domain.enrollment import AccountEnrollment
from domain.invoice import Invoice
from domain.values import Section
from domain.visibility import in_window
from projections.audit.timetravel import (
    account_as_of,
    as_of,
    invoice_as_of,
    timestamp_of,
)
from store.errors import DRIVER_ERRORS
from store.sidestore import SideStore


@dataclass
class Explanation:
    """The answer: who could see the invoice at `at`, and who could not."""

    invoice_id: str
    at: str
    could_see: list[dict[str, Any]] = field(default_factory=list)
    could_not: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """As API.md shows it: the fields, in their order."""
        return asdict(self)


@dataclass(frozen=True)
class _Scene:
    """What was true at T: the invoice, its account, the day."""

    invoice: Invoice
    account: AccountEnrollment
    today: date


def explain(
    app: BillingCenter, invoice_id: UUID, at: datetime, *, today: date | None = None
) -> Explanation | None:
    """C2 at `at` (`today`, for A7, defaults to `at`'s date); None if no such invoice then."""
    invoice = invoice_as_of(app, invoice_id, at)
    account = account_as_of(app, invoice.account, at) if invoice else None
    if invoice is None or account is None:
        return None
    scene = _Scene(invoice, account, today or at.date())
    answer = Explanation(str(invoice_id), at.isoformat())
    for company_id in dict.fromkeys(i["company_id"] for i in account.intervals):
        company = as_of(app, Company, UUID(company_id), at=at)
        if company is not None:
            _judge_company(app, scene, company, answer)
    return answer


def _judge_company(
    app: BillingCenter, scene: _Scene, company: Company, answer: Explanation
) -> None:
    section = scene.account.section_for(company.id, scene.invoice.account_sequence)
    placed = _placement(app, scene, company, section)
    for login in sorted(company.roles):
        rule, because = _judge(scene, company, login, section)
        if rule is None:
            answer.could_see.append(
                {"login": login, "company_id": str(company.id), "section": str(section),
                 "because": [*because, placed, _window(scene)]}
            )  # fmt: skip
        else:
            answer.could_not.append({"login": login, "company_id": str(company.id), "rule": rule})
    for login in sorted(_former_users(app, company) - set(company.roles)):
        answer.could_not.append({"login": login, "company_id": str(company.id), "rule": "R5"})


def _judge(
    scene: _Scene, company: Company, login: str, section: Section | None
) -> tuple[str | None, list[dict[str, Any]]]:
    """The first rule that stops `login`, or None and the access part of the chain."""
    if section is None:
        return "I2", []
    if section is Section.HIDDEN:
        return "A6", []
    reason = company.access(login, scene.invoice.account)  # R4, as `domain.access` decides
    if reason is None:
        return "R4", []
    role = company.role_of(login)
    access: dict[str, Any] = {"rule": "R4", "role": role.value, "reason": reason.value,
                              "detail": reason.because(role)}  # fmt: skip
    if reason is Reason.GRANT:
        access["grant"] = scene.invoice.account
    if reason is Reason.PLAN:  # A8: the granted plan that consolidates the account
        granted = company.grants[login]
        plans = company.plans.items()
        access["plan"] = next(p for p, m in plans if p in granted and scene.invoice.account in m)
    if not in_window(scene.invoice.issued, scene.today, due=scene.invoice.outstanding):
        return "A7", []
    return None, [access]


def _placement(
    app: BillingCenter, scene: _Scene, company: Company, section: Section | None
) -> dict[str, Any]:
    """The enrollment interval (or the archive gap between two) that placed the invoice."""
    sequence = scene.invoice.account_sequence
    mine = [i for i in scene.account.intervals if i["company_id"] == str(company.id)]
    holding = [
        i for i in mine if i["start"] < sequence and (i["end"] is None or sequence < i["end"])
    ]
    if section is Section.HISTORY and holding:
        return {"rule": "A4", "section": "HISTORY", "enrolled": _interval(app, scene, holding[0])}
    ends = [i for i in mine if i["end"] is not None and i["end"] < sequence]
    starts = [i for i in mine if i["start"] > sequence]
    gap = {"from": ends[-1]["end"] if ends else None, "to": starts[0]["start"] if starts else None}
    return {"rule": "A6", "section": str(section), "unenrolled": _instants(app, scene, gap)}


def _interval(app: BillingCenter, scene: _Scene, interval: dict[str, Any]) -> dict[str, Any]:
    return _instants(app, scene, {"from": interval["start"], "to": interval["end"]})


def _instants(app: BillingCenter, scene: _Scene, bounds: dict[str, Any]) -> dict[str, Any]:
    """Account versions, with the instants they were recorded at."""
    out: dict[str, Any] = {}
    for name, version in bounds.items():
        out[f"{name}_version"] = version
        out[name] = (
            None if version is None else timestamp_of(app, scene.account.id, version).isoformat()
        )
    return out


def _window(scene: _Scene) -> dict[str, Any]:
    return {"rule": "A7", "issue_date": scene.invoice.issue_date, "today": scene.today.isoformat(),
            "outstanding": scene.invoice.outstanding}  # fmt: skip


def _former_users(app: BillingCenter, company: Company) -> set[str]:
    """Every login the company had up to its version (read from its events)."""
    added: set[str] = set()
    for state in _membership_events(app, company):
        fields = orjson.loads(state)
        added.add(fields.get("login") or fields["general_administrator"])
    return added


MEMBERSHIP = (f"{get_topic(Company)}.CompanyEnrolled", get_topic(Company.UserAdded))
_MEMBERSHIP_SQL = "topic IN ({})".format(", ".join(f"'{topic}'" for topic in MEMBERSHIP))
_INDEXED: set[tuple[int, str]] = set()


def _membership_events(app: BillingCenter, company: Company) -> list[bytes]:
    """The states of the company's CompanyEnrolled and UserAdded events, up to its version.

    On SQLite and PostgreSQL the store filters them by topic through a small partial index
    of membership events (`_index_membership`), so a company with a long history of other
    events costs a handful of index entries, never a scan of its stream; in memory, the
    events are scanned.
    """
    side: SideStore | None = getattr(app, "side_store", None)
    table: str | None = getattr(app.recorder, "events_table_name", None)
    if side is None or table is None:
        rows = app.recorder.select_events(company.id, lte=company.version)
        return [r.state for r in rows if r.topic.endswith((".UserAdded", ".CompanyEnrolled"))]
    _index_membership(side, table)
    key: object = company.id if side.postgres else company.id.hex
    found = side.query(
        f"SELECT state FROM {table} WHERE originator_id = ? AND originator_version <= ?"
        f" AND {_MEMBERSHIP_SQL}",
        (key, company.version),
    )
    return [bytes(row[0]) for row in found]


def _index_membership(side: SideStore, table: str) -> None:
    """Create, once per process and store, the partial index of membership events (the
    topics are literals, so both planners match it). If another process races us, the
    query stays correct without it."""
    if (id(side), table) in _INDEXED:
        return
    with contextlib.suppress(*DRIVER_ERRORS), side.transaction() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_audit_membership"
            f" ON {table} (originator_id, originator_version) WHERE {_MEMBERSHIP_SQL}"
        )
    _INDEXED.add((id(side), table))
