"""Issue 20: correlation ids are unique and made without reading the system's randomness
(whose call lets go of the GIL, and the event loop then waited for it)."""

from __future__ import annotations

import os
import re

import pytest

from api.correlation import fresh_correlation_id
from api.identity import correlation_id

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_fresh_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = [fresh_correlation_id() for _ in range(10_000)]
    assert all(HEX32.match(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_fresh_id_reads_no_randomness_from_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(size: int) -> bytes:
        raise AssertionError(f"os.urandom({size}) called")

    monkeypatch.setattr(os, "urandom", refused)
    assert HEX32.match(correlation_id(None))


def test_a_sensible_request_id_is_kept() -> None:
    assert correlation_id("req-42.a_b") == "req-42.a_b"
    assert HEX32.match(correlation_id("not sensible!"))


def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, " ".join(fresh_correlation_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {fresh_correlation_id() for _ in range(3)}
    assert len(child) == 3
    assert {i[:16] for i in child}.isdisjoint({i[:16] for i in parent})
