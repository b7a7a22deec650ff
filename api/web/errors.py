"""Refusals as the console shows them: the one table both ways in share (api/refusals.py) picks the
status, and a sentence per refusal says what to fix."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from api.refusals import HTTP_STATUS
from api.web.i18n import N_
from api.web.session import CsrfRefused
from api.web.templating import SignInRequired, console, render, secured
from domain.errors import DomainError, InvalidInput

HINTS: dict[str, str] = {
    "LoginTaken": N_("Choose a login id that does not already belong to a company."),
    "ConfirmationRequired": N_("Tick the confirmation box to remove the user."),
    "GeneralAdministratorLocked": N_("Hand the general administrator title to another user first."),
    "NotAMember": N_("Choose a current user of this company."),
    "PaymentMethodInUse": N_(
        "Change the automatic payment that relies on this bank account first."
    ),
    "NoPaymentMethod": N_(
        "The general administrator must first add a bank account on the Company page."
    ),
    "ProofMismatch": N_(
        "Copy the invoice number, invoice date, amount due and control id exactly as printed "
        "on one of the account's three latest invoices."
    ),
    "NoRecentInvoice": N_(
        "Wait for the account's next invoice (at most 45 days old) and prove it with that one."
    ),
    "AccountHeldElsewhere": N_(
        "Another company holds this account; it must be unenrolled there first."
    ),
    "AccountAlreadyInCompany": N_("The account is already here: re-enroll it instead."),
    "AccountNotEnrolled": N_("Select only accounts that are enrolled in this company."),
    "CommentRequired": N_("With the reason Other, write a comment that says why."),
    "AccountAlreadyEnrolled": N_("Select only accounts that are unenrolled."),
    "AccountTakenOver": N_("Another company has added this account since; it cannot come back."),
    "ArchiveReadOnly": N_("Archive invoices can only be viewed and downloaded."),
    "AlreadyPaid": N_("This invoice already has a payment made or scheduled."),
    "NothingToPay": N_("Nothing is left to pay on this invoice."),
    "AdjustmentAlreadyOpen": N_("A request is already open on this line; wait for its decision."),
    "ConcurrentChange": N_("Someone changed the same records at the same moment: try again."),
    "InvalidInput": N_("Correct the field named below and send the form again."),
    "Forbidden": N_("Your role does not allow this; ask an administrator of your company."),
    "NotFound": N_("It does not exist, or it is not one you may see."),
    "AutomaticPaymentMissing": N_("There is no automatic payment to cancel."),
    "ValidationError": N_("Correct the fields named below and send the form again."),
    "CsrfRefused": N_("This form has expired. Reload the page and send it again."),
    "ForeignOrigin": N_(
        "This form was sent from another site. Open the console and send it there."
    ),
}

TITLES: dict[int, str] = {
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    422: N_("Please correct the form"),
}


@dataclass(frozen=True)
class Shown:
    """A refusal as a page shows it."""

    status: int
    title: str
    hint: str
    detail: str
    rule: str | None


def shown(error: Exception) -> Shown:
    """The status (the API's table), a title, what to fix, the details and the rule."""
    kind = type(error).__name__
    if isinstance(error, DomainError):
        status = HTTP_STATUS[error.status]
        detail = error.detail
        rule = error.rule_id
        kind = kind if kind in HINTS else type(error).__mro__[1].__name__
    elif isinstance(error, ValidationError):
        status, rule = 422, None
        detail = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors()[:5])
    else:
        status, detail, rule = 403, "", None
    if isinstance(error, InvalidInput):
        kind = "InvalidInput"
    return Shown(
        status, TITLES.get(status, TITLES[409]), HINTS.get(kind, HINTS["NotFound"]), detail, rule
    )


def error_page(request: Request, error: Exception) -> Response:
    """A whole page for a refused GET (403, 404) or a form refused outside its page."""
    ctx = console(request)
    what = shown(error)
    return render(ctx, "error.html", status=what.status, problem=what)


async def _sign_in(request: Request, _: Exception) -> Response:
    ctx = console(request)
    if request.app.state.settings.is_development:
        return secured(ctx, RedirectResponse("/console/sign-in", status_code=303))
    return render(ctx, "signed_out.html", status=401)


async def _csrf(request: Request, error: Exception) -> Response:
    return error_page(request, error)


def install_handlers(app: FastAPI) -> None:
    """The console's own exceptions (the API never raises them)."""
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(CsrfRefused, _csrf)


class ConsoleRoute(APIRoute):
    """A console route: a refusal that escapes it becomes an HTML page, not problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (DomainError, ValidationError) as error:
                return error_page(request, error)

        return handle
