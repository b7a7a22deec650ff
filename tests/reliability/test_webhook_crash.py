"""Issue 22: `kill -9` the service while it posts a webhook, then restart it.

The receiver holds the first request it gets, so a message is in flight when the process
dies. After the restart every message arrives, verified with `standardwebhooks`; none is
lost, and the only one received twice is the one in flight, under the same `webhook-id`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.reliability.service import Service, query
from tests.reliability.world import enroll, expect
from tests.webhook_receiver import Receiver, receiving

pytestmark = pytest.mark.postgres

MESSAGES = 12
DEADLINE_SECONDS = 90.0  # a bound for a loaded machine, not a measurement


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _numbers(receiver: Receiver) -> set[str]:
    return {str(b["data"]["invoice_number"]) for b in receiver.of_type("invoice.available")}


def test_kill_9_mid_delivery_loses_no_webhook_and_repeats_only_the_one_in_flight(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLING_WEBHOOKS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("BILLING_WEBHOOKS_LEASE_SECONDS", "2")
    numbers = {f"INV-KILL-{n}" for n in range(MESSAGES)}
    with receiving() as receiver:
        receiver.gate.clear()  # hold every request: one is in flight when we kill
        first = Service(postgres_url, tmp_path).start()
        try:
            with httpx.Client(base_url=first.base_url, timeout=30) as client:
                company = enroll(client)
                hook = {"url": receiver.url, "events": ["invoice.available"]}
                created = company.admin.post(f"/v1/companies/{company.cid}/webhooks", json=hook)
                receiver.secret = expect(created, 201)["secret"]
                for number in sorted(numbers):
                    company.issue(company.accounts[0], invoice_number=number)
            _until(lambda: receiver.requests >= 1, "no webhook was in flight")
            first.kill()
        finally:
            first.kill()
        receiver.gate.set()  # the held request now finds its sender dead
        second = Service(postgres_url, tmp_path).start()
        try:
            _until(lambda: _numbers(receiver) == numbers, "a webhook was lost")
        finally:
            second.stop()
    assert receiver.forged == 0
    assert len(receiver.accepted) == MESSAGES  # one webhook-id per message
    # the message in flight, received by the held request and again after the restart
    assert [n for n in receiver.accepted.values() if n > 1] == [2]
    assert query(postgres_url, "SELECT COUNT(*) FROM webhook_messages") == [(MESSAGES,)]
