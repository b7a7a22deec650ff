"""R12 over HTTP and in the console: a member's saved searches are theirs alone."""

from __future__ import annotations

from tests.e2e.http import World, csrf_of

SAME_ORIGIN = {"Origin": "http://testserver"}


def test_r12_save_list_apply_and_delete_over_the_api(world: World) -> None:
    body = {"name": "Open US", "filters": {"status": "open", "account": "US-A0000001"}}
    created = world.admin.post("/v1/me/saved-searches", json=body)
    assert created.status_code == 201, created.text
    sid = created.json()["saved_search_id"]
    assert int(created.headers["X-Position"]) == created.json()["position"]
    listed = world.admin.get("/v1/me/saved-searches").json()["items"]
    assert listed == [{"saved_search_id": sid, "name": "Open US", "filters": body["filters"]}]
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    assert bob.get("/v1/me/saved-searches").json() == {"items": []}  # private
    assert bob.delete(f"/v1/me/saved-searches/{sid}").status_code == 404
    assert world.admin.delete(f"/v1/me/saved-searches/{sid}").status_code == 204
    assert world.admin.get("/v1/me/saved-searches").json() == {"items": []}


def test_r12_bad_filters_and_taken_names_are_refused_naming_the_rule(world: World) -> None:
    world.admin.post("/v1/me/saved-searches", json={"name": "Mine", "filters": {}})
    refusals = [
        ({"name": "x", "filters": {"status": "late"}}, 422),
        ({"name": "x", "filters": {"from": "yesterday"}}, 422),
        ({"name": "x", "filters": {"where": "1=1"}}, 422),
        ({"name": "a\u202eb", "filters": {}}, 422),
        ({"name": "MINE", "filters": {}}, 409),
    ]
    for body, status in refusals:
        response = world.admin.post("/v1/me/saved-searches", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert status != 409 or response.json()["rule"] == "R12"
    assert len(world.admin.get("/v1/me/saved-searches").json()["items"]) == 1


def test_r12_the_console_saves_the_page_s_filters_and_offers_them_as_a_menu(world: World) -> None:
    world.admin.get("/v1/me")  # the read models have the enrollment (min_position)
    client = world.client
    client.cookies.clear()
    csrf = csrf_of(client.get("/console/sign-in").text)
    client.post("/console/sign-in", data={"csrf_token": csrf, "login": "alice"},
                headers=SAME_ORIGIN)  # fmt: skip
    page = client.get("/console/invoices", params={"status": "open", "q": "INV"})
    assert 'name="status" value="open"' in page.text  # the filters ride in the save form
    form = {"csrf_token": csrf_of(page.text), "name": "Open INV", "status": "open", "q": "INV"}
    saved = client.post("/console/saved-searches", data=form, headers=SAME_ORIGIN)
    assert saved.status_code == 200
    assert "The search was saved." in saved.text
    assert 'href="/console/invoices?q=INV&amp;status=open">Open INV</a>' in saved.text
    again = client.post("/console/saved-searches", data={**form, "csrf_token": csrf_of(saved.text)},
                        headers=SAME_ORIGIN)  # fmt: skip
    assert again.status_code == 409
    assert "Open INV" in again.text
    (sid,) = [
        s["saved_search_id"] for s in world.admin.get("/v1/me/saved-searches").json()["items"]
    ]
    gone = client.post(f"/console/saved-searches/{sid}/delete",
                       data={"csrf_token": csrf_of(again.text)}, headers=SAME_ORIGIN)  # fmt: skip
    assert "The saved search was deleted." in gone.text
    assert world.admin.get("/v1/me/saved-searches").json() == {"items": []}
