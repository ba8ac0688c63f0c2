"""Reactions in the browser: picked under a message, shown live to the others, kept on reload,
taken back with a click."""

import pytest
from playwright.sync_api import expect

from tests.web.test_chat import messages, pages_in_room, two_in_a_room

pytestmark = pytest.mark.browser


def test_a_reaction_is_picked_seen_live_counted_and_taken_back(page_at, base_url):
    ada, bob, room_id = two_in_a_room(base_url, "Cheers")
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": "we shipped it"})
    ada_page, bob_page = pages_in_room(page_at, room_id, ada, bob)

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
