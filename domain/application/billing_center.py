"""The one eventsourcing Application of the billing center, composed of its use cases."""

from __future__ import annotations

from domain.application.accounts import Accounts
from domain.application.api_keys import ApiKeys
from domain.application.bank_details import BankDetails
from domain.application.cases import Cases
from domain.application.companies import Companies
from domain.application.invoices import Invoices
from domain.application.privacy import Privacy
from domain.application.searches import SavedSearches
from domain.application.statements import Statements
from domain.application.users import Users
from domain.application.webhooks import Webhooks


class BillingCenter(
    Companies,
    Users,
    Accounts,
    Cases,
    Invoices,
    BankDetails,
    Privacy,
    SavedSearches,
    Statements,
    ApiKeys,
    Webhooks,
):
    """Every command of the billing center (DOMAIN.md R1-R12, A1-A6, I1-I8, C4) and the
    queries that decide who may see what: one Application (one store, one cache, one unit
    of work), its verbs grouped by use case in the mixins it is made of."""

    name = "BillingCenter"
