"""Direct messages, unread badges, the divider at the first unread message, typing and blocks in
the browser."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.conftest import screenshot
from tests.web.test_chat import log_in, messages, send

pytestmark = pytest.mark.browser


def open_profile(page, person):
    page.get_by_role("button", name="People", exact=True).click()
    page.get_by_label("Search people").fill(person.username)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("list", name="Search results").get_by_role("button", name=person.username).click()
    expect(page.locator("#profile-name")).to_have_text(person.username)


def test_a_dm_from_a_profile_shows_up_unread_with_a_divider_and_typing(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    ada, bob = Person(base_url, username=f"ada_{tag}").register(), Person(base_url, username=f"bob_{tag}").register()
    ada_page, bob_page = page_at(), page_at()
    log_in(ada_page, ada)
    log_in(bob_page, bob)

    open_profile(ada_page, bob)
    ada_page.get_by_role("button", name="Message", exact=True).click()
    expect(ada_page.locator("#room-name")).to_have_text(f"{ada.username} & {bob.username}")
    expect(ada_page.get_by_text("Connected")).to_be_visible()
    send(ada_page, "are you there?")
    expect(messages(ada_page).filter(has_text="are you there?")).not_to_have_class("message pending")

    bob_page.reload()
    dm_row = bob_page.locator("#room-list li").filter(has_text=f"{ada.username} & {bob.username}")
    expect(dm_row.get_by_label("1 unread")).to_be_visible()
    expect(dm_row).to_contain_text("direct message")
    dm_row.get_by_role("button").click()
    expect(bob_page.locator("li.divider")).to_have_text("New messages")
    expect(bob_page.locator("#messages li.divider + li")).to_contain_text("are you there?")
    screenshot(bob_page, "direct-message")

    bob_page.get_by_label("Message").press_sequentially("yes", delay=50)
    expect(ada_page.get_by_text(f"{bob.username} is typing…")).to_be_visible()
    bob_page.get_by_role("button", name="Send", exact=True).click()
    expect(messages(ada_page).filter(has_text="yes")).to_have_count(1)
    # Ada watched it arrive: no "New messages" divider above it.
    expect(ada_page.locator("li.divider")).to_have_count(0)
    expect(ada_page.get_by_text(f"{bob.username} is typing…")).to_be_hidden()

    # Read while open: after a reload the badge is gone.
    bob_page.wait_for_timeout(1000)
    bob_page.reload()
    row = bob_page.locator("#room-list li").filter(has_text=f"{ada.username} & {bob.username}")
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_count(0)


def test_a_block_from_a_profile_stops_the_dm_in_plain_words(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    ada, bob = Person(base_url, username=f"ada_{tag}").register(), Person(base_url, username=f"bob_{tag}").register()
    page = page_at()
    log_in(page, ada)
    open_profile(page, bob)
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(f"You block {bob.username}: neither of you can message the other.")
    expect(page.get_by_role("button", name="Unblock", exact=True)).to_be_visible()
    page.get_by_role("button", name="Message", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("One of you has blocked the other: you cannot message each other.")


def test_only_people_i_follow_may_message_me_is_a_setting(page_at, base_url):
    ada = Person(base_url).register().login()
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name="People", exact=True).click()
    page.get_by_label("Only people I follow may write to me").check()
    expect(page.get_by_role("alert")).to_have_text("Only people you follow can write to you now.")
    assert ada.get("/users/me/settings").json()["dms_from"] == "following"
    page.reload()
    page.get_by_role("button", name="People", exact=True).click()
    expect(page.get_by_label("Only people I follow may write to me")).to_be_checked()
