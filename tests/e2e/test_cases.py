"""I9 dispute cases over HTTP: both sides comment and attach evidence, the billing system
reviews and decides all or part, every step is in the case's history, and its queue shows
what is overdue."""

from __future__ import annotations

import io
from typing import Any, cast

from PIL import Image

from tests.e2e.http import World, csrf_of
from tests.integration.mail.smtp import SmtpServer, eventually
from tests.samples import a_pdf


def _case(world: World, amount: str = "100.00") -> tuple[str, str]:
    invoice = world.issue(world.accounts[0], amount=amount)
    body = {"reason": "damaged", "lines": [{"tracking_number": "1Z001", "amount": "40.00"}]}
    asked = world.admin.post(f"/v1/invoices/{invoice}/adjustments", json=body)
    assert asked.status_code == 201, asked.text
    return invoice, asked.json()["adjustment_id"]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def _attach(caller: Any, url: str, content: bytes, name: str = "photo.png") -> Any:
    return caller.post(f"{url}/attachments",
                       files={"file": (name, content, "application/octet-stream")})  # fmt: skip


def test_i9_a_case_is_a_conversation_with_evidence_then_a_partial_approval(world: World) -> None:
    invoice, aid = _case(world)
    url = f"/v1/invoices/{invoice}/adjustments/{aid}"
    said = world.admin.post(f"{url}/comments", json={"text": "The box arrived crushed."})
    assert said.status_code == 201, said.text
    assert _attach(world.admin, url, _png()).status_code == 201
    assert world.billing.post(f"{url}/comments", json={"text": "Photo of the label?"}).is_success
    assert _attach(world.billing, url, a_pdf(), "inspection.pdf").status_code == 201
    assert world.billing.post(f"{url}/review").json()["status"] == "IN_REVIEW"
    seen = world.admin.get(url).json()
    assert seen["status"] == "IN_REVIEW"
    assert [c["by"] for c in seen["comments"]] == ["alice", "ledger"]
    assert [a["filename"] for a in seen["attachments"]] == ["photo.png", "inspection.pdf"]
    part = [{"tracking_number": "1Z001", "amount": "15.00"}]
    decided = world.billing.post(
        f"{url}/decision", json={"approved": True, "comment": "half", "lines": part}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "APPROVED"
    assert world.admin.get(f"/v1/invoices/{invoice}").json()["balance"] == "85.00"
    done = world.admin.get(url).json()
    assert done["approved_lines"] == {"1Z001": "15.00"}
    assert [s["step"] for s in done["history"]] == [
        "REQUESTED", "COMMENTED", "ATTACHED", "COMMENTED", "ATTACHED", "IN_REVIEW", "APPROVED",
    ]  # fmt: skip
    late = world.admin.post(f"{url}/comments", json={"text": "thanks"})
    assert late.status_code == 409  # a decided case takes no more steps
    # the line (50.00) can still be disputed for what was not credited: 35.00, not 35.01
    for amount, status in (("35.01", 422), ("35.00", 201)):
        again = {"reason": "rest", "lines": [{"tracking_number": "1Z001", "amount": amount}]}
        asked = world.admin.post(f"/v1/invoices/{invoice}/adjustments", json=again)
        assert asked.status_code == status, asked.text


def test_i9_evidence_is_judged_by_its_content_and_served_as_a_download(world: World) -> None:
    invoice, aid = _case(world)
    url = f"/v1/invoices/{invoice}/adjustments/{aid}"
    for bad in (b"%PDF-1.7 not really", _png()[:40], b"MZ\x90\x00 an executable", b"<svg/>"):
        refused = _attach(world.admin, url, bad, "x.png")
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "I9"
    made = _attach(world.admin, url, _png(), "label.png").json()["document_id"]
    got = world.admin.get(f"{url}/attachments/{made}")
    assert got.status_code == 200
    assert got.content == _png()
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment")


def test_i9_who_may_not_adjust_may_not_take_a_step(world: World) -> None:
    invoice, aid = _case(world)
    url = f"/v1/invoices/{invoice}/adjustments/{aid}"
    viewer = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    assert viewer.get(url).status_code == 200  # who may see the invoice sees the case
    assert viewer.post(f"{url}/comments", json={"text": "me too"}).status_code == 403
    outsider = world.add_user("carol", "VIEW_ADJUST", world.accounts[1])
    assert outsider.get(url).status_code == 404
    assert world.admin.post(f"{url}/review").status_code == 403
    assert world.admin.get("/v1/adjustments").status_code == 403


def test_i9_the_queue_lists_cases_oldest_first_and_what_is_overdue(world: World) -> None:
    first = _case(world)
    second = _case(world)
    world.billing.post(f"/v1/invoices/{second[0]}/adjustments/{second[1]}/review")
    world.billing.get(f"/v1/invoices/{second[0]}")  # the read models caught up
    items = world.billing.get("/v1/adjustments").json()["items"]
    assert [i["adjustment_id"] for i in items][-2:] == [first[1], second[1]]
    assert all(not i["overdue"] for i in items)  # requested today: due in 30 days
    reviewing = world.billing.get("/v1/adjustments", params={"status": "IN_REVIEW"}).json()
    assert [i["adjustment_id"] for i in reviewing["items"]] == [second[1]]
    assert world.billing.get("/v1/adjustments", params={"overdue": "true"}).json()["items"] == []


def test_i9_the_console_case_page_shows_the_conversation_and_takes_evidence(
    world: World,
) -> None:
    invoice, aid = _case(world)
    world.billing.post(
        f"/v1/invoices/{invoice}/adjustments/{aid}/comments", json={"text": "Photo?"}
    )
    world.admin.get(f"/v1/invoices/{invoice}")  # the read models caught up
    client = world.client
    client.cookies.clear()
    csrf = csrf_of(client.get("/console/sign-in").text)
    origin = {"Origin": "http://testserver"}
    client.post("/console/sign-in", data={"csrf_token": csrf, "login": "alice"}, headers=origin)
    url = f"/console/invoices/{invoice}/adjustments/{aid}"
    assert f'href="{url}"' in client.get(f"/console/invoices/{invoice}").text
    page = client.get(url).text
    assert "Photo?" in page
    said = client.post(f"{url}/comments", data={"csrf_token": csrf_of(page), "text": "Here it is"},
                       headers=origin)  # fmt: skip
    assert "Your comment was added to the case." in said.text
    png = {"file": ("label.png", _png(), "image/png")}
    sent = client.post(f"{url}/attachments", data={"csrf_token": csrf_of(said.text)},
                       files=png, headers=origin)  # fmt: skip
    assert "The file was added to the case." in sent.text, sent.text[-500:]
    fake = {"file": ("x.png", b"not an image", "image/png")}
    bad = client.post(f"{url}/attachments", data={"csrf_token": csrf_of(sent.text)},
                      files=fake, headers=origin)  # fmt: skip
    assert bad.status_code == 422
    (made,) = [
        a["document_id"]
        for a in world.admin.get(f"/v1/invoices/{invoice}/adjustments/{aid}").json()["attachments"]
    ]
    assert client.get(f"{url}/attachments/{made}").content == _png()


def test_i9_the_requester_is_told_of_each_step_but_their_own(
    mailing: World, smtp: SmtpServer
) -> None:
    invoice, aid = _case(mailing)
    url = f"/v1/invoices/{invoice}/adjustments/{aid}"
    mailing.admin.post(f"{url}/comments", json={"text": "mine"})  # their own: no e-mail
    mailing.billing.post(f"{url}/comments", json={"text": "Which box?"})
    mailing.billing.post(f"{url}/review")
    mailing.billing.post(f"{url}/decision", json={"approved": False})

    def bodies() -> list[str]:
        return [
            cast(bytes, part.get_payload(decode=True)).decode()
            for m in smtp.inbox.messages if "Adjustment request" in str(m["Subject"])
            for part in m.walk() if part.get_content_type() == "text/plain"
        ]  # fmt: skip

    eventually(lambda: len(bodies()) == 3)
    assert any("has a new comment" in b and "Which box?" in b for b in bodies())
    assert any("is in review" in b for b in bodies())
    assert any("was rejected" in b for b in bodies())
    assert not any("mine" in b for b in bodies())
