"""C4 (issue 18), as a property: whatever people join, change their profile, leave, come
back and are erased, in whatever order and however the read models page through it, no
value a person held before their last erasure remains in any table or in the audit log,
while what they set since stays readable."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.caller import Caller
from domain.user import ERASED
from domain.values import Role
from projections.audit.privacy import PrivateBillingCenter
from projections.audit.records import AuditLog
from projections.runner import Runner, ensure_schema
from store.database import open_database
from store.url import eventsourcing_env
from tests.audit_world import ACCOUNT, PlainBox, company

LOGINS = ("ann", "ben", "cat")
ACTIONS = ("join", "profile", "leave", "erase", "catch_up")
STEPS = st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(LOGINS)), max_size=14)
ADMIN = Caller("alice")
EXAMPLE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@dataclass
class People:
    """The model: each person's values now, those erased, who is a member."""

    app: PrivateBillingCenter
    cid: UUID
    current: dict[str, tuple[str, str]] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    forgotten: set[str] = field(default_factory=set)  # erased, and nothing set since
    members: set[str] = field(default_factory=set)
    made: int = 0

    def profile(self, login: str) -> tuple[str, str]:
        self.made += 1  # every value unique: an erased one never comes back legitimately
        return f"{login}.{self.made}@acme.test", f"Person {login.title()} {self.made}"

    def join(self, login: str) -> None:
        email, name = self.current[login] = self.profile(login)
        self.app.add_user(ADMIN, self.cid, login, email=email, name=name, role=Role.VIEW_ONLY,
                          accounts=(ACCOUNT,))  # fmt: skip
        self.members.add(login)
        self.forgotten.discard(login)

    def change(self, login: str) -> None:
        email, name = self.current[login] = self.profile(login)
        self.app.change_user_profile(ADMIN, self.cid, login, email, name)
        self.forgotten.discard(login)

    def leave(self, login: str) -> None:
        self.app.remove_user(ADMIN, self.cid, login, confirmed=True)
        self.members.discard(login)

    def erase(self, login: str) -> None:
        self.app.forget(login)
        self.erased |= set(self.current.pop(login, ()))
        self.forgotten.add(login)

    def play(self, action: str, login: str, runner: Runner) -> None:
        known, member = login in self.current or login in self.members, login in self.members
        if action == "join" and not member:
            self.join(login)
        elif action == "profile" and member:
            self.change(login)
        elif action == "leave" and member:
            self.leave(login)
        elif action == "erase" and (known or member):
            self.erase(login)
        elif action == "catch_up":
            runner.catch_up()


def _tables_text(path: Path) -> str:
    with sqlite3.connect(path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [row for t in tables for row in db.execute(f'SELECT * FROM "{t}"')]
    return "\n".join(
        bytes(v).decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
        for row in rows
        for v in row
    )


@EXAMPLE
@given(steps=STEPS, page=st.integers(min_value=1, max_value=6))
def test_c4_no_erased_value_remains_anywhere_and_later_ones_do(
    tmp_path: Path, steps: list[tuple[str, str]], page: int
) -> None:
    path = tmp_path / f"events-{uuid4().hex}.sqlite"
    url = f"sqlite:///{path}"
    app = PrivateBillingCenter(eventsourcing_env(url), secret_box=PlainBox())
    db = open_database(url)
    try:
        ensure_schema(db)
        people = People(app, company(app))
        runner = Runner(db, app, page_size=page)
        for action, login in steps:
            people.play(action, login, runner)
        runner.catch_up()
        text = _tables_text(path)
        log = "\n".join(str(r.as_dict()) for r in AuditLog(app.recorder, app.sealer).records())
        assert [v for v in people.erased if v in text or v in log] == []
        for login, (email, name) in people.current.items():
            assert email in log  # what was set since the last erasure still reads
            assert (app.user(login).email, app.user(login).name) == (email, name)
        for login in people.forgotten:
            assert (app.user(login).email, app.user(login).name) == ("", ERASED)
    finally:
        db.close()
        app.close()
