"""Threads in the browser: Reply opens a message's thread beside the conversation; replies are sent
there, stay out of the room's flow, show live to the others, and are counted under their root."""

import re

import pytest
from playwright.sync_api import expect

from tests.web.test_chat import messages, pages_in_room, two_in_a_room

pytestmark = pytest.mark.browser


def replies(page):
    return page.get_by_role("list", name="Replies").locator("li.message")


def reply(page, text):
    page.get_by_label("Reply", exact=True).fill(text)
    page.get_by_role("button", name="Send reply").click()


def test_a_thread_is_opened_answered_live_and_counted_under_its_root(page_at, base_url):
    ada, bob, room_id = two_in_a_room(base_url, "Lunch")
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": "who is in for lunch?"})
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": "the build is green"})
    ada_page, bob_page = pages_in_room(page_at, room_id, ada, bob)

    bob_page.get_by_role("button", name="Reply “who is in for lunch?”").click()
    thread = bob_page.get_by_role("complementary", name="Thread")
    expect(thread.get_by_role("list", name="Replied to")).to_contain_text("who is in for lunch?")
    expect(bob_page.get_by_label("Reply", exact=True)).to_be_focused()
    reply(bob_page, "me!")
    expect(replies(bob_page).filter(has_text="me!")).to_have_count(1)
    expect(replies(bob_page).first).not_to_have_class(re.compile("pending"))  # stored
    # Not in the room's flow: there, the root says it has a reply, live on the other page too.
    expect(messages(bob_page)).to_have_count(2)
    expect(messages(ada_page)).to_have_count(2)
    ada_page.get_by_role("button", name="1 reply").click()
    expect(replies(ada_page)).to_have_count(1)
    expect(replies(ada_page).first).to_contain_text("me!")
    reply(ada_page, "12:30 then")
    expect(replies(bob_page).filter(has_text="12:30 then")).to_have_count(1)  # live in bob's open thread
    for page in (ada_page, bob_page):
        expect(page.get_by_role("button", name="2 replies")).to_be_visible()

    bob_page.reload()  # from the history: each reply counted once, not again by its event
    expect(messages(bob_page)).to_have_count(2)
    expect(bob_page.get_by_role("button", name="2 replies")).to_be_visible()
    bob_page.get_by_role("button", name="2 replies").click()
    expect(replies(bob_page)).to_have_count(2)
    bob_page.once("dialog", lambda dialog: dialog.accept())
    replies(bob_page).filter(has_text="me!").get_by_role("button", name="Delete “me!”").click()
    expect(replies(bob_page)).to_have_count(1)
    expect(ada_page.get_by_role("button", name="1 reply")).to_be_visible()
    expect(replies(ada_page)).to_have_count(1)
    bob_page.get_by_role("button", name="Close thread").click()
    expect(thread).to_be_hidden()
    stored = [e for e in ada.get(f"/ws/rooms/{room_id}/messages").json()["events"] if e["type"] == "message"]
    assert [(e["content"], e["reply_to"] is not None) for e in stored] == [
        ("who is in for lunch?", False),
        ("the build is green", False),
        ("", True),  # deleted: what it said is forgotten
        ("12:30 then", True),
    ]
