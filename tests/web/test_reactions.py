"""Reactions in the browser: picked under a message, shown live to the others, kept on reload,
taken back with a click."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.test_chat import log_in, messages

pytestmark = pytest.mark.browser


def test_a_reaction_is_picked_seen_live_counted_and_taken_back(page_at, base_url):
    ada, bob = Person(base_url).register().login(), Person(base_url).register().login()
    room_id = ada.create_room(name=f"Cheers {uuid.uuid4().hex[:6]}")
    assert bob.post(f"/ws/rooms/{room_id}/members").status_code == 200
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": "we shipped it"})
    pages = {}
    for person in (ada, bob):
        pages[person.username] = page = page_at()
        log_in(page, person)
        page.goto(f"/#/rooms/{room_id}")
        expect(page.get_by_text("Connected")).to_be_visible()
    ada_page, bob_page = pages[ada.username], pages[bob.username]

    ada_page.get_by_role("button", name="React “we shipped it”").click()
    ada_page.get_by_role("button", name="React with 🎉").click()
    expect(ada_page.get_by_role("button", name="🎉 1, yours")).to_have_attribute("aria-pressed", "true")
    expect(bob_page.get_by_role("button", name="🎉 1", exact=True)).to_be_visible()  # live, not bob's
    bob_page.get_by_role("button", name="🎉 1", exact=True).click()
    expect(bob_page.get_by_role("button", name="🎉 2, yours")).to_be_visible()
    expect(ada_page.get_by_role("button", name="🎉 2, yours")).to_be_visible()

    bob_page.reload()  # from the history: counted once, not again by its events
    expect(messages(bob_page)).to_have_count(1)
    expect(bob_page.get_by_role("button", name="🎉 2, yours")).to_be_visible()
    ada_page.get_by_role("button", name="🎉 2, yours").click()
    expect(ada_page.get_by_role("button", name="🎉 1", exact=True)).to_be_visible()
    expect(bob_page.get_by_role("button", name="🎉 1, yours")).to_be_visible()
    stored = ada.get(f"/ws/rooms/{room_id}/messages").json()["events"][0]["reactions"]
    assert stored == [{"emoji": "🎉", "count": 1, "user_ids": [bob.id]}]
