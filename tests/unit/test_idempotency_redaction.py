"""C4 (issue 18): a kept idempotent answer that holds an erased person's name or e-mail is
redacted, stays valid JSON, and replays without them; other answers are left as they were."""

from __future__ import annotations

import json

from domain.user import ERASED
from store.idempotency import Answer, MemoryIdempotencyStore, Reserved, redacted

NAME = 'Zoë "Z" Ünal'
EMAIL = "zoe@acme.test"


def _answer(profile: dict[str, str], *, ascii_only: bool) -> bytes:
    return json.dumps({"login": "zoe", **profile}, ensure_ascii=ascii_only).encode()


def test_c4_a_json_answer_is_redacted_however_it_escaped_the_name() -> None:
    for ascii_only in (True, False):
        body = _answer({"email": EMAIL, "name": NAME}, ascii_only=ascii_only)
        assert json.loads(redacted(body, {NAME, EMAIL}, ERASED)) == {
            "login": "zoe", "email": ERASED, "name": ERASED
        }  # fmt: skip


def test_c4_a_replayed_answer_no_longer_holds_the_erased_values() -> None:
    store = MemoryIdempotencyStore()
    assert store.reserve("alice", "k1", "print") == Reserved()
    body = _answer({"email": EMAIL, "name": NAME}, ascii_only=False)
    store.complete("alice", "k1", Answer(200, [("content-type", "application/json")], body))
    assert store.reserve("bob", "k2", "print") == Reserved()
    store.complete("bob", "k2", Answer(200, [], b'{"login": "bob"}'))
    assert store.redact({NAME, EMAIL}, ERASED) == 1
    replay = store.reserve("alice", "k1", "print")
    assert isinstance(replay, Answer)
    assert NAME.encode() not in replay.body
    assert EMAIL.encode() not in replay.body
    assert store.reserve("bob", "k2", "print") == Answer(200, [], b'{"login": "bob"}')
