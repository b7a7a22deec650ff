"""The one eventsourcing Application of the billing center, composed of its use cases."""

from __future__ import annotations

from domain.application.accounts import Accounts
from domain.application.bank_details import BankDetails
from domain.application.companies import Companies
from domain.application.invoices import Invoices
from domain.application.privacy import Privacy
from domain.application.users import Users
from domain.application.webhooks import Webhooks


class BillingCenter(Companies, Users, Accounts, Invoices, BankDetails, Privacy, Webhooks):
    """Every command of the billing center (DOMAIN.md R1-R11, A1-A6, I1-I7, C4) and the
    queries that decide who may see what: one Application (one store, one cache, one unit
    of work), its verbs grouped by use case in the mixins it is made of."""

    name = "BillingCenter"
