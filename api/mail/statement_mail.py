"""The statement e-mail (R12): a short note with the statement's PDF and CSV attached.

Like every e-mail of the outbox, its `Message-ID`, `Date` and MIME boundary come from the
row (the period's close, the recipient, the kind), so a resend is the same message; the
figures are those of the store when it is sent (the row's facts are read at send time).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from api.documents.statement import render_statement, statement_csv
from api.mail.message import PRODUCT, boundary_of, message_id
from api.statements import Statement
from projections.queries import OutboxMessage


@dataclass(frozen=True)
class StatementFacts:
    """Who receives a statement, and the statement as they may see it now."""

    email: str
    name: str
    statement: Statement


def compose_statement(
    row: OutboxMessage, facts: StatementFacts, sender: str, domain: str
) -> EmailMessage:
    """The statement e-mail for `row`, the PDF and the CSV attached."""
    found = facts.statement
    mail = EmailMessage()
    mail["From"] = formataddr((PRODUCT, sender))
    mail["To"] = formataddr((facts.name, facts.email))
    mail["Subject"] = f"Your statement for {found.period.name}"
    when = row.created_at
    mail["Date"] = format_datetime(when if when.tzinfo else when.astimezone())
    mail["Message-ID"] = message_id(row, domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Billing-Center-Kind"] = row.kind
    due = ", ".join(
        f"{sums['total']:,.2f} {currency}" for currency, sums in sorted(found.aging.items())
    )
    mail.set_content(
        f"Hello {facts.name},\n\nYour {PRODUCT} statement for {found.period.name} "
        f"({found.company}) lists {len(found.invoices)} open invoice(s)"
        f"{f': {due} due' if due else ''}.\n\nThe PDF and the CSV are attached.\n\n"
        "You receive this e-mail because you subscribed to statements on your profile.\n"
    )
    name = f"statement-{found.period.name}"
    mail.add_attachment(render_statement(found), maintype="application", subtype="pdf",
                        filename=f"{name}.pdf")  # fmt: skip
    mail.add_attachment(statement_csv(found), maintype="text", subtype="csv",
                        filename=f"{name}.csv")  # fmt: skip
    mail.set_boundary(boundary_of(mail["Message-ID"]))
    return mail
