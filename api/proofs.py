"""Refused account proofs (A1), noted for the rate limit whichever way in asked: the API's
`ProofLimitMiddleware` counts them once the request is answered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from domain.errors import DomainError


@dataclass
class ProofAttempt:
    """One request to a proof route: whether a proof was refused (A1) while it ran."""

    refused: bool = False


proof_attempt: ContextVar[ProofAttempt | None] = ContextVar("proof_attempt", default=None)


@contextmanager
def counted_proof() -> Iterator[None]:
    """Around a write that checks account proofs: a refusal under A1 is noted for
    `ProofLimitMiddleware`, which counts it once the request is answered.

    A context variable carries the note because the API and the console both call the
    command (in a worker thread, which runs in a copy of the request's context).
    """
    try:
        yield
    except DomainError as error:
        attempt = proof_attempt.get()
        if attempt is not None and error.rule_id == "A1":
            attempt.refused = True
        raise
