"""Words the pages show for the domain's values and for finished actions (all in the
catalogue; translated where shown)."""

from __future__ import annotations

from api.web.i18n import N_

ROLES = {
    "VIEW_ONLY": N_("View only"),
    "VIEW_ADJUST": N_("View and adjust"),
    "VIEW_PAY": N_("View and pay"),
    "VIEW_PAY_ADJUST": N_("View, pay and adjust"),
    "PLAN_MANAGER": N_("Plan Manager"),
    "ADMINISTRATOR": N_("Administrator"),
}

LINES_OF_BUSINESS = {
    "PACKAGE": N_("Package"),
    "FREIGHT": N_("Freight"),
    "SUPPLY_CHAIN": N_("Supply chain"),
}

ACCOUNT_TYPES = {
    "INDIVIDUAL": N_("Individual"),
    "CONSOLIDATED_PAYMENT_PLAN": N_("Consolidated payment plan"),
}

REASONS = {
    "NO_LONGER_NEEDED": N_("No longer needed"),
    "PREFER_PAPER": N_("I prefer paper invoices"),
    "ACCOUNT_CLOSED": N_("Account closed"),
    "OTHER": N_("Other"),
}

STATUSES = {
    "OPEN": N_("Open"),
    "PAYMENT_SCHEDULED": N_("Payment scheduled"),
    "PAID": N_("Paid"),
    "ENROLLED": N_("Enrolled"),
    "UNENROLLED": N_("Unenrolled"),
    "IN_REVIEW": N_("In review"),
    "APPROVED": N_("Approved"),
    "REJECTED": N_("Rejected"),
    "HISTORY": N_("Billing history"),
    "ARCHIVE": N_("Archive"),
}

NOTIFICATIONS = {
    "INVOICE_AVAILABLE": N_("A new invoice is available"),
    "PAYMENT_RECEIVED": N_("A payment was received"),
    "ADJUSTMENT_UPDATED": N_("An adjustment request was decided"),
}

CASE_STEPS = {
    "REQUESTED": N_("Requested"),
    "COMMENTED": N_("Comment"),
    "ATTACHED": N_("File added"),
    "IN_REVIEW": N_("In review"),
    "APPROVED": N_("Approved"),
    "REJECTED": N_("Rejected"),
}

DONE = {
    "webhook_deleted": N_("The endpoint was removed: nothing more is sent to it."),
    "webhook_enabled": N_("The endpoint is enabled again: the next messages are sent to it."),
    "enrolled": N_("Your company is enrolled. You are its general administrator."),
    "user_added": N_("The user was added."),
    "role_changed": N_("The role was updated."),
    "grants_changed": N_("The accounts granted were updated."),
    "profile_changed": N_("The profile was updated."),
    "user_removed": N_("The user was removed."),
    "handed_over": N_("The general administrator title was handed over."),
    "company_changed": N_("The company information was updated."),
    "method_added": N_("The bank account was added."),
    "default_changed": N_("The default bank account was changed."),
    "account_added": N_("The account was added."),
    "unenrolled": N_("The accounts were unenrolled. They are billed on paper again."),
    "reenrolled": N_("The accounts were re-enrolled."),
    "autopay_set": N_("Automatic payment is set up."),
    "autopay_cancelled": N_("Automatic payment is cancelled."),
    "paid": N_("Payment accepted."),
    "adjustment_requested": N_("Your adjustment request was sent."),
    "payment_cancelled": N_("The scheduled payment was cancelled: the invoice is open again."),
    "preferences_changed": N_("Your notification preferences were updated."),
    "search_saved": N_("The search was saved."),
    "search_deleted": N_("The saved search was deleted."),
    "statement_changed": N_("Your statement subscription was updated."),
    "commented": N_("Your comment was added to the case."),
    "attached": N_("The file was added to the case."),
    "own_profile_changed": N_("Your profile was updated."),
    "company_closed": N_("The company was closed. Its users were released."),
    "key_revoked": N_("The key was revoked."),
}
