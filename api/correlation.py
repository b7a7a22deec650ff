"""Fresh correlation ids for requests that bring none, made without a system call.

`uuid4()` reads 16 bytes from `os.urandom`, and CPython lets go of the GIL around that
`getrandom` call. On the event loop, which decides every request's caller, the loop then
waited to take the GIL back from a route thread running Python: about 300 µs a call beside
one busy thread (issue 20). A correlation id only needs to be unique, not unpredictable, so
it is a random 64-bit prefix drawn once per process (again in a forked child) and a counter:
32 hex digits, as a `uuid4().hex` was.
"""

from __future__ import annotations

import itertools
import os
import secrets

PREFIX_BYTES = 8


class _Ids:
    """The process's prefix and counter."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self.prefix = secrets.token_hex(PREFIX_BYTES)
        self.sequence = itertools.count()

    def fresh(self) -> str:
        return f"{self.prefix}{next(self.sequence):016x}"


_IDS = _Ids()
os.register_at_fork(after_in_child=_IDS.reseed)  # a child must not repeat its parent's ids


def fresh_correlation_id() -> str:
    """A correlation id no other request of any process has: 32 lowercase hex digits."""
    return _IDS.fresh()
