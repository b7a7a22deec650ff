"""What kind of refusal becomes which HTTP status: the one table both ways in answer with
(the API's problem details, the console's error pages)."""

from __future__ import annotations

from domain.errors import Status

HTTP_STATUS: dict[Status, int] = {
    "invalid": 422,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
}
"""The one table: what kind of refusal becomes which HTTP status."""
