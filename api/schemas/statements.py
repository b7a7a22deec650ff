"""Statement subscriptions (R12)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from api.schemas.values import In


class StatementSubscription(In):
    """R12: how often to receive the statement by e-mail; null stops it."""

    frequency: Literal["WEEKLY", "MONTHLY"] | None


class SubscriptionChanged(BaseModel):
    """200 of a subscription change."""

    frequency: Literal["WEEKLY", "MONTHLY"] | None
    position: int
