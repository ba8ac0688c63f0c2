"""Searching messages in the browser: the words found marked, a result opening its room at the message."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.test_chat import log_in

pytestmark = pytest.mark.browser


def test_a_result_opens_its_room_at_the_message_even_far_back(page_at, base_url):
    ada, bob = Person(base_url).register().login(), Person(base_url).register().login()
    word = f"w{uuid.uuid4().hex[:8]}"
    room_id = ada.create_room(name=f"Archive {word[:6]}")
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": f"the {word} was agreed <b>then</b>"})
    for i in range(230):  # more than the room's first page: the message is in an older one
        ada.post(f"/ws/rooms/{room_id}/messages", json={"content": f"later {i}"})
    hidden = bob.create_room(private=True)
    bob.post(f"/ws/rooms/{hidden}/messages", json={"content": f"{word} in a room ada is not in"})
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_label("Words to find").fill(word.upper())
    page.get_by_label("Words to find").press("Enter")
    found = page.get_by_role("list", name="Found in conversations").locator("li")
    expect(found).to_have_count(1)
    expect(found.first.locator("mark")).to_have_text(word)
    expect(found.first.locator(".content")).to_have_text(f"the {word} was agreed <b>then</b>")
    found.first.get_by_role("button", name=f"Archive {word[:6]}").click()
    expect(page.locator("#room-name")).to_have_text(f"Archive {word[:6]}")
    target = page.locator("#messages li.message.found")
    expect(target).to_contain_text(word)
    expect(target).to_be_in_viewport()


def test_a_result_that_is_a_reply_opens_its_thread_at_it(page_at, base_url):
    ada = Person(base_url).register().login()
    word = f"w{uuid.uuid4().hex[:8]}"
    room_id = ada.create_room(name=f"Threads {word[:6]}")
    root = ada.post(f"/ws/rooms/{room_id}/messages", json={"content": "the plan"}).json()
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": f"the {word} part", "reply_to": root["id"]})
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_label("Words to find").fill(word)
    page.get_by_label("Words to find").press("Enter")
    found = page.get_by_role("list", name="Found in conversations").locator("li")
    expect(found).to_have_count(1)
    found.first.get_by_role("button", name=f"Threads {word[:6]}").click()
    thread = page.get_by_role("complementary", name="Thread")
    expect(thread.get_by_role("list", name="Replied to")).to_contain_text("the plan")
    target = thread.locator("li.message.found")
    expect(target).to_contain_text(word)
    expect(target).to_be_in_viewport()
