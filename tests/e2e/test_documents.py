"""The invoice PDF, the history as CSV, and attached documents over HTTP (R4, A6, I7)."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any

from pypdf import PdfReader

from api.documents.rendering import PdfRenderer
from api.documents.sheet import InvoiceSheet
from tests.e2e.http import World, enroll
from tests.samples import a_pdf


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def upload(
    world: World, iid: str, content: bytes, name: str = "form.pdf"
) -> tuple[int, dict[str, Any]]:
    files = {"file": (name, content, "application/octet-stream")}
    response = world.billing.post(f"/v1/invoices/{iid}/documents", files=files)
    return response.status_code, response.json()


def test_r4_the_invoice_pdf_shows_the_invoice_to_who_may_see_it(world: World) -> None:
    iid = world.issue(world.accounts[0], invoice_number="INV-PDF-1")
    response = world.admin.get(f"/v1/invoices/{iid}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "INV-PDF-1" in text
    assert "1Z001" in text
    assert "Acme" in text


def test_r4_the_pdf_is_not_found_for_a_user_without_the_account(world: World) -> None:
    iid = world.issue(world.accounts[0])
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[1])
    assert bob.get(f"/v1/invoices/{iid}/pdf").status_code == 404


def test_a6_an_archive_invoice_pdf_is_stamped_archive(world: World) -> None:
    account = world.accounts[0]
    gone = world.admin.post(
        f"/v1/companies/{world.cid}/unenrollment",
        json={"accounts": [account], "reason": "PREFER_PAPER"},
    )
    assert gone.status_code == 200, gone.text
    iid = world.issue(account, invoice_number="INV-PAPER-1")
    back = world.admin.post(f"/v1/companies/{world.cid}/reenrollment", json={"accounts": [account]})
    assert back.status_code == 200, back.text
    response = world.admin.get(f"/v1/invoices/{iid}/pdf")
    assert response.status_code == 200
    assert "ARCHIVE" in pdf_text(response.content)


def test_r4_the_csv_holds_exactly_the_invoices_the_caller_may_see(world: World) -> None:
    mine = world.issue(world.accounts[0], invoice_number="INV-CSV-1", amount="99.90")
    world.issue(world.accounts[1], invoice_number="INV-CSV-2")
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    response = bob.get(f"/v1/companies/{world.cid}/invoices.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    numbers = {r["invoice_number"] for r in rows}
    assert "INV-CSV-1" in numbers
    assert "INV-CSV-2" not in numbers
    row = next(r for r in rows if r["invoice_id"] == mine)
    assert row["amount"] == "99.90"
    assert row["section"] == "HISTORY"


def test_a6_the_archive_csv_is_asked_for_with_archive_true(world: World) -> None:
    world.issue(world.accounts[0])
    response = world.admin.get(
        f"/v1/companies/{world.cid}/invoices.csv", params={"archive": "true"}
    )
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("invoice_id,invoice_number")
    assert len(lines) == 1
    assert 'filename="archive-' in response.headers["content-disposition"]


def test_the_csv_of_a_company_is_not_found_for_an_outsider(world: World) -> None:
    outsider = world.person("mallory")
    assert outsider.get(f"/v1/companies/{world.cid}/invoices.csv").status_code == 404


def test_i7_an_attached_pdf_comes_back_byte_for_byte(world: World) -> None:
    iid = world.issue(world.accounts[0])
    content = a_pdf()
    status, body = upload(world, iid, content)
    assert status == 201, body
    response = world.admin.get(f"/v1/invoices/{iid}/documents/{body['document_id']}")
    assert response.status_code == 200
    assert response.content == content


def test_i7_the_attached_document_is_listed_on_the_invoice(world: World) -> None:
    iid = world.issue(world.accounts[0])
    _, body = upload(world, iid, a_pdf(), "brokerage.pdf")
    detail = world.admin.get(f"/v1/invoices/{iid}").json()
    assert [d["document_id"] for d in detail["documents"]] == [body["document_id"]]


def test_i7_a_document_is_not_found_for_who_may_not_see_the_invoice(world: World) -> None:
    iid = world.issue(world.accounts[0])
    _, body = upload(world, iid, a_pdf())
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[1])
    assert bob.get(f"/v1/invoices/{iid}/documents/{body['document_id']}").status_code == 404


def test_i7_a_file_named_pdf_that_is_no_pdf_is_refused(world: World) -> None:
    iid = world.issue(world.accounts[0])
    status, body = upload(world, iid, b"MZ\x90\x00 an executable", "invoice.pdf")
    assert status == 422
    assert body["rule"] == "I7"


def test_i7_only_the_billing_system_attaches_documents(world: World) -> None:
    iid = world.issue(world.accounts[0])
    files = {"file": ("form.pdf", a_pdf(), "application/pdf")}
    response = world.admin.post(f"/v1/invoices/{iid}/documents", files=files)
    assert response.status_code == 403


def test_i7_a_document_of_several_megabytes_is_attached_and_comes_back_whole(
    world: World,
) -> None:
    iid = world.issue(world.accounts[0])
    padded = a_pdf() + b"%" + b"x" * (3 * 1024 * 1024)
    status, body = upload(world, iid, padded)
    assert status == 201, body
    got = world.admin.get(f"/v1/invoices/{iid}/documents/{body['document_id']}")
    assert got.content == padded


def test_i7_a_document_over_ten_megabytes_is_too_large(world: World) -> None:
    iid = world.issue(world.accounts[0])
    padded = a_pdf() + b"%" + b"x" * (10 * 1024 * 1024)
    status, _ = upload(world, iid, padded)
    assert status == 413


def _lines(count: int) -> list[dict[str, str]]:
    return [
        {"tracking_number": f"1Z{n:08}", "description": "Ground " * 70, "amount": "1.00"}
        for n in range(count)
    ]


def test_an_invoice_with_an_adjustment_naming_60_lines_has_a_pdf(world: World) -> None:
    """Issue 17: that adjustment made the PDF answer 500 forever."""
    iid = world.issue(world.accounts[0], amount="60.00", lines=_lines(60))
    disputed = [{"tracking_number": x["tracking_number"], "amount": "1.00"} for x in _lines(60)]
    asked = world.admin.post(
        f"/v1/invoices/{iid}/adjustments", json={"reason": "late", "lines": disputed}
    )
    assert asked.status_code == 201, asked.text
    response = world.admin.get(f"/v1/invoices/{iid}/pdf")
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert all(text.count(x["tracking_number"]) == 2 for x in disputed)


class CountingDraw:
    """A fake renderer: counts its drawings; each waits for `release` (set: no wait)."""

    def __init__(self) -> None:
        self.drawn = 0
        self.release = threading.Event()
        self.release.set()

    def __call__(self, sheet: InvoiceSheet) -> bytes:
        self.release.wait(timeout=60)
        self.drawn += 1
        return b"%PDF-1.4 " + sheet.invoice_number.encode()


def _fake_renderer(world: World, draw: CountingDraw) -> PdfRenderer:
    state = world.client.app.state  # type: ignore[attr-defined]
    state.pdfs.close()
    state.pdfs = PdfRenderer(draw, pool=lambda: ThreadPoolExecutor(2))  # fakes count here
    renderer: PdfRenderer = state.pdfs
    return renderer


def test_a_repeated_pdf_download_is_drawn_once_until_the_invoice_changes(world: World) -> None:
    """Issue 17: kept by invoice version; a new adjustment draws it anew."""
    draw = CountingDraw()
    _fake_renderer(world, draw)
    iid = world.issue(world.accounts[0])
    first, again = (world.admin.get(f"/v1/invoices/{iid}/pdf") for _ in range(2))
    assert (first.status_code, again.status_code, draw.drawn) == (200, 200, 1)
    assert again.content == first.content
    disputed = {"reason": "late", "lines": [{"tracking_number": "1Z001", "amount": "1.00"}]}
    assert world.admin.post(f"/v1/invoices/{iid}/adjustments", json=disputed).status_code == 201
    assert world.admin.get(f"/v1/invoices/{iid}/pdf").status_code == 200
    assert draw.drawn == 2


def test_while_pdfs_fill_the_renderers_another_company_lists_its_invoices(world: World) -> None:
    """Issue 17: one tenant's documents never delay another tenant; beyond the renderers'
    capacity a PDF is refused at once with 503 and Retry-After."""
    draw = CountingDraw()
    draw.release.clear()
    renderer = _fake_renderer(world, draw)
    invoices = [world.issue(world.accounts[0]) for _ in range(renderer.capacity)]
    other = enroll(world.client, admin="carol")
    answers: list[int] = []
    requests = [
        threading.Thread(target=lambda i=i: answers.append(_pdf_status(world, i))) for i in invoices
    ]
    for request in requests:
        request.start()
    _wait_until(lambda: renderer.admitted == renderer.capacity)
    refused = world.admin.get(f"/v1/invoices/{invoices[0]}/pdf")
    listed = other.admin.get(f"/v1/companies/{other.cid}/invoices")
    in_flight, drawn = renderer.admitted, draw.drawn  # answered while all still drawing
    draw.release.set()
    for request in requests:
        request.join(timeout=60)
    assert (listed.status_code, in_flight, drawn) == (200, renderer.capacity, 0)
    assert draw.drawn == renderer.capacity
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert answers == [200] * renderer.capacity


def _pdf_status(world: World, iid: str) -> int:
    return world.admin.get(f"/v1/invoices/{iid}/pdf").status_code


def _wait_until(condition: Callable[[], bool]) -> None:
    """Waits for a state (not a duration): fails only if it never comes."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the renders never filled the pool"
        time.sleep(0.01)


def test_the_console_serves_the_invoice_pdf_through_the_api_route(world: World) -> None:
    """The console's PDF link calls the API's route function: it takes the same renderer."""
    iid = world.issue(world.accounts[0], invoice_number="INV-CONSOLE-1")
    client = world.client
    form = client.get("/console/sign-in").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    signed = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "login": "alice", "name": "Alice"},
        headers={"Origin": "http://testserver"},  # as a browser sends it (issue 18)
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    response = client.get(f"/console/invoices/{iid}/pdf")
    assert response.status_code == 200, response.text
    assert "INV-CONSOLE-1" in pdf_text(response.content)
