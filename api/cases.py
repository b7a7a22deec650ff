"""A dispute case (I9) for whoever may see its invoice, or the billing system, whichever way
in asks; and a piece of its evidence."""

from __future__ import annotations

from uuid import UUID

from api.documents.upload import check_evidence
from domain.application import BillingCenter
from domain.caller import Caller, Scope
from domain.errors import NotFound
from projections.queries import CaseView, ReadModels
from store.documents import DocumentStore


def case_of(app: BillingCenter, reads: ReadModels, caller: Caller, iid: UUID, aid: str) -> CaseView:
    """The case, if the caller may see its invoice now (R4, A4-A7) or is the billing system."""
    if caller.scope is not Scope.BILLING_SYSTEM:
        app.visible_invoice(caller.as_person(), iid)
    found = reads.case(iid, aid, app.today())
    if found is None:
        raise NotFound("adjustment", aid)
    return found


def evidence_of(found: CaseView, did: str, store: DocumentStore) -> tuple[bytes, str, str]:
    """(content, media type, file name) of one piece of the case's evidence."""
    step = next((s for s in found.history if s.detail.get("document_id") == did), None)
    content = store.get(step.detail["sha256"]) if step else None
    if step is None or content is None:
        raise NotFound("attachment", did)
    return content, check_evidence(content), str(step.detail["filename"])
