"""The e-mails themselves: one per outbox row, the same bytes however often it is rendered.

Everything in a message comes from the event and the recipient's own profile, so a retry
renders the very same e-mail, with the same `Message-ID` (derived from the event position,
the recipient and the kind) and the same `Date` (the event's). No other user is named:
a payment e-mail does not say who paid, an adjustment e-mail goes to its requester only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape

from projections.queries import OutboxMessage

PRODUCT = "Billing Center"


@dataclass(frozen=True)
class MailedInvoice:
    """What an e-mail says of the invoice."""

    invoice_id: str
    invoice_number: str
    account: str
    currency: str
    amount: Decimal
    balance: Decimal
    due_date: date


@dataclass(frozen=True)
class Facts:
    """What one outbox row is about, read from the store."""

    email: str
    name: str
    invoice: MailedInvoice | None  # None: an e-mail about a membership (R5), not an invoice
    headline: str
    details: tuple[tuple[str, str], ...]


def message_id(row: OutboxMessage, domain: str) -> str:
    """Stable per (event, recipient, kind): a resend is the same e-mail, never a second one."""
    who = hashlib.sha256(row.recipient.encode()).hexdigest()[:20]
    return f"<{row.kind.lower().replace('_', '-')}.{row.position}.{who}@{domain}>"


SUBJECTS = {
    "INVOICE_AVAILABLE": "Invoice {number} is available",
    "PAYMENT_RECEIVED": "Payment for invoice {number}",
    "ADJUSTMENT_UPDATED": "Adjustment request on invoice {number} updated",
    "MEMBERSHIP_WITHDRAWN": "A user you added enrolled their own company",
    "TITLE_REASSIGNED": "The general administrator title was reassigned",
}


def compose(row: OutboxMessage, facts: Facts, sender: str, domain: str) -> EmailMessage:
    """The e-mail for `row`: plain text and HTML alternatives."""
    mail = EmailMessage()
    mail["From"] = formataddr((PRODUCT, sender))
    mail["To"] = formataddr((facts.name, facts.email))
    number = facts.invoice.invoice_number if facts.invoice else ""
    mail["Subject"] = SUBJECTS[row.kind].format(number=number)
    mail["Date"] = format_datetime(_aware(row.created_at))
    mail["Message-ID"] = message_id(row, domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Billing-Center-Kind"] = row.kind
    mail.set_content(_text(facts))
    mail.add_alternative(_html(facts), subtype="html")
    mail.set_boundary(boundary_of(mail["Message-ID"]))
    return mail


def boundary_of(mid: str) -> str:
    """A MIME boundary derived from the Message-ID: a random one would change each render."""
    return "==bc-" + hashlib.sha256(mid.encode()).hexdigest()[:32]


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.astimezone()


def _rows(facts: Facts) -> list[tuple[str, str]]:
    invoice = facts.invoice
    if invoice is None:
        return list(facts.details)
    return [
        ("Invoice", invoice.invoice_number),
        ("Account", invoice.account),
        ("Amount", f"{invoice.amount:,.2f} {invoice.currency}"),
        ("Balance", f"{invoice.balance:,.2f} {invoice.currency}"),
        ("Due date", invoice.due_date.isoformat()),
        *facts.details,
    ]


def _text(facts: Facts) -> str:
    width = max(len(name) for name, _ in _rows(facts))
    table = "\n".join(f"  {name + ':':<{width + 1}} {value}" for name, value in _rows(facts))
    return (
        f"Hello {facts.name},\n\n{facts.headline}\n\n{table}\n\n"
        f"{_sign_in(facts)}\n\n"
        "You receive this e-mail because it is turned on in your notification preferences.\n"
    )


def _sign_in(facts: Facts) -> str:
    if facts.invoice is None:
        return f"Sign in to the {PRODUCT} to see your company's users."
    return f"Sign in to the {PRODUCT} to see the invoice and download it as a PDF."


def _html(facts: Facts) -> str:
    cells = "".join(
        f'<tr><td style="color:#6c757d;padding:2px 16px 2px 0">{escape(name)}</td>'
        f'<td style="font-weight:bold">{escape(value)}</td></tr>'
        for name, value in _rows(facts)
    )
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;color:#212529">'
        f'<div style="background:#123456;color:#fff;padding:12px 16px;font-size:18px">'
        f"{PRODUCT}</div>"
        f'<div style="padding:16px"><p>Hello {escape(facts.name)},</p>'
        f"<p>{escape(facts.headline)}</p><table>{cells}</table>"
        f"<p>{escape(_sign_in(facts))}</p>"
        '<p style="color:#6c757d;font-size:12px">You receive this e-mail because it is '
        "turned on in your notification preferences.</p></div></body></html>"
    )
