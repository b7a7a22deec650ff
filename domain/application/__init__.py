"""The application layer: one verb per command, each loading aggregates, asking them to act,
and saving everything it changed in one atomic `save` (all or nothing), answering a
`Receipt` that carries the position of its last event.

By use case: companies.py (R1, R10), users.py (R3-R10), accounts.py (A1-A5, I6),
invoices.py (I1-I7), bank_details.py (R11), privacy.py (C4), queries.py (who sees what: R4,
A4-A7, I2); proofs.py checks A1's proof for the first two. Under them: service.py (loading,
saving, snapshots, the clock), retries.py (how a command runs: retries after a lost race,
read verification) and cache.py (the aggregates a process keeps). `BillingCenter`
(billing_center.py) is the one Application made of them all.
"""

from domain.application.bank_details import BankAccount
from domain.application.billing_center import BillingCenter
from domain.application.proofs import AccountRequest
from domain.application.queries import Visible
from domain.application.retries import Receipt
from domain.application.users import Membership
from domain.ports import utc_now

__all__ = [
    "AccountRequest",
    "BankAccount",
    "BillingCenter",
    "Membership",
    "Receipt",
    "Visible",
    "utc_now",
]
