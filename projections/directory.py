"""Directory read model: companies, their users (role, grants, removed), profiles and
notification preferences (R5-R8, R10), payment methods (R11), the general administrator.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from domain.access import Reason, access, accounts_seen
from domain.api_key import principal
from domain.user import ERASED
from domain.values import Role
from projections.base import Projection
from projections.events import EventRecord
from store.database import Row, Tx

PREFS = {
    "INVOICE_AVAILABLE": "invoice_available",
    "PAYMENT_RECEIVED": "payment_received",
    "ADJUSTMENT_UPDATED": "adjustment_updated",
}
PREF_COLUMNS = ", ".join(f"p.{column}" for column in PREFS.values())
"""Each of PREFS as read from the profiles table (`p`), in PREFS' order."""


@dataclass
class _Seeing:
    """A company as `domain.access` needs it: the accounts held, each current member's role
    and granted accounts, each plan held with its members (A8)."""

    held: list[str]
    members: dict[str, tuple[str, list[str]]]
    plans: dict[str, list[str]] = field(default_factory=dict)

    def member(self, login: str, *, role: str) -> None:
        """`login` has `role` now (a current member again, keeping its grants)."""
        self.members[login] = (role, self.members.get(login, (role, []))[1])


@dataclass
class _Answer:
    """R4's answer for one member, written by `flush`: it replaces the stored one, or (an
    account gained) adds to it, keeping a row already stored (ON CONFLICT DO NOTHING)."""

    replaces: bool
    seen: dict[str, Reason] = field(default_factory=dict)


_SEEING = frozenset(
    {
        *("UserAdded", "UserRemoved", "PendingMemberWithdrawn", "ApiKeyCreated"),
        *("ApiKeyRevoked", "CompanyClosed", "RoleChanged", "AccountAccessGranted"),
        *("AccountAccessRevoked", "GeneralAdministratorHandedOver", "AccountAdded"),
        "PlanMembersRecorded",
    }
)
"""The company events whose handlers read and change R4's inputs (`Directory._seeing`)."""


class Directory(Projection):
    """Who is in which company, with which role and grants (the "what" behind R4, R7, R9),
    and `access`: which accounts each current member sees and why, as `domain.access`
    answers (R4), kept on every event that changes that answer."""

    tables: ClassVar[dict[str, str]] = {
        "companies": "company_id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, "
        "general_administrator TEXT NOT NULL, default_payment_method TEXT",
        "company_accounts": "company_id TEXT, account TEXT, position BIGINT NOT NULL, "
        "PRIMARY KEY (company_id, account)",
        "members": "company_id TEXT, login TEXT, role TEXT NOT NULL, removed INTEGER NOT NULL, "
        "PRIMARY KEY (company_id, login)",
        "grants": "company_id TEXT, login TEXT, account TEXT, "
        "PRIMARY KEY (company_id, login, account)",
        "profiles": "user_id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, company_id TEXT, "
        "email TEXT NOT NULL, name TEXT NOT NULL, invoice_available INTEGER NOT NULL, "
        "payment_received INTEGER NOT NULL, adjustment_updated INTEGER NOT NULL",
        "payment_methods": "company_id TEXT, payment_method_id TEXT, holder TEXT NOT NULL, "
        "bank_code TEXT NOT NULL, last4 TEXT NOT NULL, position BIGINT NOT NULL, "
        "PRIMARY KEY (company_id, payment_method_id)",
        "access": "company_id TEXT, login TEXT, account TEXT, reason TEXT NOT NULL, "
        "PRIMARY KEY (company_id, login, account)",
        "plan_members": "company_id TEXT, plan TEXT, member TEXT, "
        "PRIMARY KEY (company_id, plan, member)",
    }
    indexes: ClassVar[dict[str, str]] = {"grants_by_account": "grants (company_id, account)"}

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.answers: dict[tuple[str, str], _Answer] = {}  # by (company, login), for `flush`

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """R4's inputs of every company the page changes, in three queries (issue 19: three
        per company, each flushing the page's writes, were most of a rebuild's statements)."""
        self._load(tx, sorted({e.key for e in events if e.type in _SEEING}))

    # --- Company events ---

    def on_CompanyEnrolled(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid, ga = e.key, e.data["general_administrator"]
        self.defer(
            tx,
            "companies",
            "INSERT INTO @companies VALUES (?, ?, '', ?, NULL)",
            (cid, e.data["name"], ga),
            key=cid,
        )
        self._member(tx, cid, ga, Role.ADMINISTRATOR.value)
        for account in e.data["accounts"]:
            self._account(tx, cid, account, e.position)
        members: dict[str, tuple[str, list[str]]] = {ga: (Role.ADMINISTRATOR.value, [])}
        self.memo["seeing", cid] = _Seeing(list(e.data["accounts"]), members)
        self._see(tx, cid, ga)

    def _member(self, tx: Tx, cid: str, login: str, role: str) -> None:
        self.defer(
            tx,
            "members",
            "INSERT INTO @members VALUES (?, ?, ?, 0) ON CONFLICT (company_id, login) "
            "DO UPDATE SET role = excluded.role, removed = 0",
            (cid, login, role),
            key=(cid, login),
        )

    def _account(self, tx: Tx, cid: str, account: str, position: int) -> None:
        self.defer(
            tx,
            "company_accounts",
            "INSERT INTO @company_accounts VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (cid, account, position),
            key=cid,
        )

    def on_CompanyDetailsChanged(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "companies",
            "UPDATE @companies SET name = ?, address = ? WHERE company_id = ?",
            (e.data["name"], e.data["address"], e.key),
            key=e.key,
        )

    def on_UserAdded(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid, login = e.key, e.data["login"]
        seeing = self._seeing(tx, cid)
        seeing.members[login] = (e.data["role"], list(e.data["accounts"]))
        self._member(tx, cid, login, e.data["role"])
        self.defer(
            tx,
            "grants",
            "DELETE FROM @grants WHERE company_id = ? AND login = ?",
            (cid, login),
            key=(cid, login),
        )
        self._grant(tx, cid, login, e.data["accounts"])
        self._see(tx, cid, login)

    def _grant(self, tx: Tx, cid: str, login: str, accounts: list[str]) -> None:
        for account in accounts:
            self.defer(tx, "grants", "INSERT INTO @grants VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       (cid, login, account), key=(cid, login))  # fmt: skip

    def on_UserRemoved(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        key = (e.key, e.data["login"])
        self._seeing(tx, e.key).members.pop(e.data["login"], None)
        self.defer(tx, "members", "UPDATE @members SET removed = 1 "
                   "WHERE company_id = ? AND login = ?", key, key=key)  # fmt: skip
        self.defer(
            tx, "grants", "DELETE FROM @grants WHERE company_id = ? AND login = ?", key, key=key
        )
        self._see(tx, *key)

    def on_PendingMemberWithdrawn(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """R5: a withdrawn pending member is gone from the company, as a removed one."""
        self.on_UserRemoved(tx, e)

    def on_ApiKeyCreated(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """Issue 22: a company key acts as `key:<id>` with its role and grants, so R4's
        answers for it are stored as a user's (it has no profile: no e-mail, no user list)."""
        d = e.data
        added = {"login": principal(d["key_id"]), "role": d["role"], "accounts": d["accounts"]}
        self.on_UserAdded(tx, e._replace(data=added))

    def on_ApiKeyRevoked(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.on_UserRemoved(tx, e._replace(data={"login": principal(e.data["key_id"])}))

    def on_CompanyClosed(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """R14: a closed company's members are released; their rows stay, marked removed."""
        for login in e.data["members"]:
            self.on_UserRemoved(tx, e._replace(data={"login": login}))

    def on_RoleChanged(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._seeing(tx, e.key).member(e.data["login"], role=e.data["role"])
        self._member(tx, e.key, e.data["login"], e.data["role"])
        self._see(tx, e.key, e.data["login"])

    def on_AccountAccessGranted(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        seeing = self._seeing(tx, e.key)
        if e.data["login"] in seeing.members:
            granted = seeing.members[e.data["login"]][1]
            granted += [a for a in e.data["accounts"] if a not in granted]
        self._grant(tx, e.key, e.data["login"], e.data["accounts"])
        self._see(tx, e.key, e.data["login"])

    def on_AccountAccessRevoked(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        seeing = self._seeing(tx, e.key)
        if e.data["login"] in seeing.members:
            granted = seeing.members[e.data["login"]][1]
            granted[:] = [a for a in granted if a not in e.data["accounts"]]
        for account in e.data["accounts"]:
            self.defer(
                tx,
                "grants",
                "DELETE FROM @grants WHERE company_id = ? AND login = ? AND account = ?",
                (e.key, e.data["login"], account),
                key=(e.key, e.data["login"]),
            )
        self._see(tx, e.key, e.data["login"])

    def on_GeneralAdministratorHandedOver(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid, successor = e.key, e.data["successor"]
        self._seeing(tx, cid).member(successor, role=Role.ADMINISTRATOR.value)
        self.defer(
            tx,
            "companies",
            "UPDATE @companies SET general_administrator = ? WHERE company_id = ?",
            (successor, cid),
            key=cid,
        )
        self._member(tx, cid, successor, Role.ADMINISTRATOR.value)
        self._see(tx, cid, successor)

    def on_GeneralAdministratorReassigned(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """R6: the billing system gave the title to another Administrator."""
        self.defer(
            tx,
            "companies",
            "UPDATE @companies SET general_administrator = ? WHERE company_id = ?",
            (e.data["successor"], e.key),
            key=e.key,
        )

    def on_AccountAdded(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid, account = e.key, e.data["account"]
        seeing = self._seeing(tx, cid)
        if account not in seeing.held:
            seeing.held.append(account)
        self._account(tx, cid, account, e.position)
        for login, (role, granted) in seeing.members.items():
            reason = access(Role(role), granted, account, seeing.held, seeing.plans)
            if reason is not None:
                self._seen(cid, login, account, reason)
            if account in seeing.plans:  # A8: a plan held again brings its members back
                self._see(tx, cid, login)

    def on_PlanMembersRecorded(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """A8: the company's plan consolidates these members now: who sees it sees them."""
        cid, plan = e.key, e.data["plan"]
        self._seeing(tx, cid).plans[plan] = list(e.data["members"])
        self.defer(tx, "plan_members", "DELETE FROM @plan_members WHERE company_id = ? "
                   "AND plan = ?", (cid, plan), key=cid)  # fmt: skip
        for member in e.data["members"]:
            self.defer(tx, "plan_members", "INSERT INTO @plan_members VALUES (?, ?, ?)",
                       (cid, plan, member), key=cid)  # fmt: skip
        for login in list(self._seeing(tx, cid).members):
            self._see(tx, cid, login)

    def on_PaymentMethodAdded(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid, d = e.key, e.data
        self.defer(
            tx,
            "payment_methods",
            "INSERT INTO @payment_methods VALUES (?, ?, ?, ?, ?, ?)",
            (cid, d["payment_method_id"], d["holder"], d["bank_code"], d["last4"], e.position),
            key=cid,
        )
        if d["default"]:
            self._default(tx, cid, d["payment_method_id"])

    def _default(self, tx: Tx, cid: str, method: str | None) -> None:
        self.defer(
            tx,
            "companies",
            "UPDATE @companies SET default_payment_method = ? WHERE company_id = ?",
            (method, cid),
            key=cid,
        )

    def on_DefaultPaymentMethodChanged(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self._default(tx, e.key, e.data["payment_method_id"])

    def on_PaymentMethodRemoved(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        cid, method = e.key, e.data["payment_method_id"]
        self.defer(
            tx,
            "payment_methods",
            "DELETE FROM @payment_methods WHERE company_id = ? AND payment_method_id = ?",
            (cid, method),
            key=cid,
        )
        self.defer(
            tx,
            "companies",
            "UPDATE @companies SET default_payment_method = NULL "
            "WHERE company_id = ? AND default_payment_method = ?",
            (cid, method),
            key=cid,
        )

    # --- R4: the `access` table, `domain.access`'s answers ---

    def _see(self, tx: Tx, cid: str, login: str) -> None:
        """Store what `login` sees in company `cid` now (nothing once removed)."""
        seeing, answer = self._seeing(tx, cid), _Answer(replaces=True)
        if login in seeing.members:
            role, granted = seeing.members[login]
            answer.seen = accounts_seen(Role(role), granted, seeing.held, seeing.plans)
        self.answers[cid, login] = answer

    def _seen(self, cid: str, login: str, account: str, reason: Reason) -> None:
        """`login` sees `account` too (the rest of its answer stays)."""
        self.answers.setdefault((cid, login), _Answer(replaces=False)).seen.setdefault(
            account, reason
        )

    def flush(self, tx: Tx) -> None:
        """The deferred writes, with the answers given since the last flush: one DELETE per
        member whose answer is replaced, then its rows, each statement one executemany."""
        answers, self.answers = self.answers, {}
        for key, answer in answers.items():
            if answer.replaces:
                self.defer(tx, "access", "DELETE FROM @access WHERE company_id = ? AND login = ?",
                           key, key=key)  # fmt: skip
        insert = "INSERT INTO @access VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
        for key, answer in answers.items():
            for account, reason in answer.seen.items():
                self.defer(tx, "access", insert, (*key, account, reason.value), key=key)
        super().flush(tx)

    def _seeing(self, tx: Tx, cid: str) -> _Seeing:
        """What R4 needs of company `cid` as of the event being handled: `prepare` read it for
        the page's companies (each handler that changes it reads it first, then applies its
        event to it), so the page's writes stay batched until its end."""
        if ("seeing", cid) not in self.memo:
            self._load(tx, [cid])
        seeing: _Seeing = self.memo["seeing", cid]
        return seeing

    def _load(self, tx: Tx, cids: Sequence[str]) -> None:
        """R4's inputs of the companies `cids` as stored, one query for each input."""
        loaded = {cid: _Seeing([], {}) for cid in cids}
        self._load_held(tx, loaded)
        self._load_plans(tx, loaded)
        self._load_members(tx, loaded)
        self.memo |= {("seeing", cid): seeing for cid, seeing in loaded.items()}

    def _load_held(self, tx: Tx, loaded: dict[str, _Seeing]) -> None:
        """The accounts each company holds or has held (`Company.accounts`, in order)."""
        rows = self.all_in(
            tx,
            "SELECT company_id, account, position FROM @company_accounts WHERE company_id IN",
            list(loaded),
        )
        for cid, account, _ in sorted(rows, key=lambda row: (row[2], row[1])):
            loaded[cid].held.append(str(account))

    def _load_plans(self, tx: Tx, loaded: dict[str, _Seeing]) -> None:
        """A8: the plans each company holds or held, each with its members now."""
        rows = self.all_in(
            tx, "SELECT company_id, plan, member FROM @plan_members WHERE company_id IN",
            list(loaded),
        )  # fmt: skip
        for cid, plan, member in sorted(rows):
            loaded[cid].plans.setdefault(str(plan), []).append(str(member))

    def _load_members(self, tx: Tx, loaded: dict[str, _Seeing]) -> None:
        """Each company's current members: role and granted accounts."""
        rows = self.all_in(
            tx,
            "SELECT m.company_id, m.login, m.role, g.account FROM @members m LEFT JOIN @grants g "
            "ON g.company_id = m.company_id AND g.login = m.login "
            "WHERE m.removed = 0 AND m.company_id IN",
            list(loaded),
        )
        for cid, login, role, account in sorted(rows, key=lambda r: (r[0], r[1], r[3] or "")):
            granted = loaded[cid].members.setdefault(login, (role, []))[1]
            if account is not None:
                granted.append(account)

    def upgrade(self, tx: Tx, added: Collection[str]) -> None:
        """A live copy built before `access` existed gets it filled from its own members,
        grants and accounts: the answers the handlers would have stored (issue 19)."""
        if "access" not in added:
            return
        cids = [str(cid) for (cid,) in self.all(tx, "SELECT DISTINCT company_id FROM @members")]
        self._load(tx, cids)
        for cid in cids:
            for login in self._seeing(tx, cid).members:
                self._see(tx, cid, login)
        self.flush(tx)

    # --- User events ---

    def on_UserRegistered(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "profiles",
            "INSERT INTO @profiles VALUES (?, ?, NULL, '', '', 1, 1, 1)",
            (e.key, e.data["login"]),
            key=e.key,
        )

    def on_UserJoinedCompany(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "profiles",
            "UPDATE @profiles SET company_id = ?, email = ?, name = ?, invoice_available = 1, "
            "payment_received = 1, adjustment_updated = 1 WHERE user_id = ?",
            (e.data["company_id"], e.data["email"], e.data["name"], e.key),
            key=e.key,
        )

    def on_UserLeftCompany(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "profiles",
            "UPDATE @profiles SET company_id = NULL WHERE user_id = ?",
            (e.key,),
            key=e.key,
        )

    def on_UserProfileChanged(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        self.defer(
            tx,
            "profiles",
            "UPDATE @profiles SET email = ?, name = ? WHERE user_id = ?",
            (e.data["email"], e.data["name"], e.key),
            key=e.key,
        )

    def on_PersonalDataErased(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        """C4: the profile keeps no name or e-mail of an erased person (nor does the outbox's
        own copy of the directory, which is this projection under another prefix)."""
        self.defer(
            tx,
            "profiles",
            "UPDATE @profiles SET email = '', name = ? WHERE user_id = ?",
            (ERASED, e.key),
            key=e.key,
        )

    def on_NotificationPreferencesChanged(self, tx: Tx, e: EventRecord) -> None:  # noqa: N802
        prefs = e.data["preferences"]
        values = [int(bool(prefs.get(kind, True))) for kind in PREFS]
        self.defer(
            tx,
            "profiles",
            "UPDATE @profiles SET invoice_available = ?, payment_received = ?, "
            "adjustment_updated = ? WHERE user_id = ?",
            (*values, e.key),
            key=e.key,
        )

    # --- queries ---

    def current_members(self, tx: Tx, company: str) -> list[Row]:
        """Current members of `company`: login, each of PREFS (0/1), one account they see
        per row (NULL: none; R4, the `access` table). The outbox derives its recipients
        from these rows."""
        return self.all(
            tx,
            f"SELECT m.login, {PREF_COLUMNS}, a.account FROM @members m JOIN @profiles p "
            "ON p.login = m.login AND p.company_id = m.company_id LEFT JOIN @access a "
            "ON a.company_id = m.company_id AND a.login = m.login "
            "WHERE m.company_id = ? AND m.removed = 0",
            (company,),
        )

    def administrators(self, tx: Tx, company: str) -> list[str]:
        """The company's current Administrators (R6: told when the title is reassigned)."""
        rows = self.all(
            tx,
            "SELECT login FROM @members WHERE company_id = ? AND removed = 0 AND role = ? "
            "ORDER BY login",
            (company, Role.ADMINISTRATOR.value),
        )
        return [str(login) for (login,) in rows]
