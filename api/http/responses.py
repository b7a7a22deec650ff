"""The error answers each route documents in OpenAPI (all are problem+json)."""

from __future__ import annotations

from typing import Any

from api.http.problems import PROBLEM_JSON, Problem

_MEANING = {
    401: "No valid bearer token.",
    403: "You lack the role, scope or title the rule asks (the rule is named).",
    404: "Not found, or not one you may see.",
    409: "The current state forbids it (the rule is named), or a concurrent change won.",
    413: "The request body is too large.",
    422: "Malformed input, with field-level details, or a rule's refusal of a value.",
    429: "Too many requests from this client (without a token, or refused proofs, A1); "
    "retry after `Retry-After` seconds.",
    503: "The store is unreachable, or the read models have not reached `min_position` within "
    "5 s (at once for a position the store has not reached); retry after `Retry-After` seconds.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for these error statuses."""
    return {
        status: {
            "description": _MEANING[status],
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


COMMON = responses(401, 403, 404, 422, 429, 503)
"""Errors any authenticated route may answer (403: a service principal, or a member's role;
429: the rate limits of api/http/ratelimit.py; 503: the store is unreachable)."""

WRITE = responses(409, 413)
"""What a write may answer besides: a state that forbids it, a body too large."""

READ = responses(503)
"""What a read may answer besides: `min_position` not reached in time."""
