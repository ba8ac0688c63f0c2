"""The room list kept current by the user's event stream: badges, new rooms and DMs, renames and
removals show up at once, with no reload and no polling."""

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.test_chat import log_in, messages

pytestmark = pytest.mark.browser

AT_ONCE_MS = 1000  # the list has no timer: what shows within a second came from the stream


def room_row(page, name):
    return page.locator("#room-list li").filter(has_text=name)


def rooms_ada_joined(base_url, *labels):
    """Ada and Bob (logged in over the API; no page yet), a tag, and Bob's public rooms named
    "<label> <tag>", each with Ada in it."""
    ada, bob = Person(base_url).register().login(), Person(base_url).register().login()
    tag = uuid.uuid4().hex[:6]
    room_ids = [bob.create_room(name=f"{label} {tag}") for label in labels]
    for room_id in room_ids:
        assert ada.post(f"/ws/rooms/{room_id}/members").status_code == 200
    return ada, bob, tag, room_ids


def test_a_badge_and_the_title_count_messages_in_another_room_within_a_second(page_at, base_url):
    ada, bob, tag, (open_room, other_room) = rooms_ada_joined(base_url, "Open", "Other")
    page = page_at()
    log_in(page, ada)
    room_row(page, f"Open {tag}").get_by_role("button").click()
    expect(page.get_by_text("Connected")).to_be_visible()

    bob.post(f"/ws/rooms/{other_room}/messages", json={"content": "over here"})
    expect(room_row(page, f"Other {tag}").get_by_label("1 unread")).to_be_visible(timeout=AT_ONCE_MS)
    expect(page).to_have_title("(1) Parley", timeout=AT_ONCE_MS)
    bob.post(f"/ws/rooms/{open_room}/messages", json={"content": "and here"})
    expect(messages(page).filter(has_text="and here")).to_be_visible()
    expect(room_row(page, f"Open {tag}").locator(".badge")).to_have_count(0)  # being read
    bob.post(f"/ws/rooms/{other_room}/messages", json={"content": "still here"})
    expect(room_row(page, f"Other {tag}").get_by_label("2 unread")).to_be_visible(timeout=AT_ONCE_MS)
    expect(page).to_have_title("(2) Parley")


def test_rooms_added_renamed_and_removed_show_at_once(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    tag = uuid.uuid4().hex[:6]
    page = page_at()
    log_in(page, ada)
    ada.login()

    invited = bob.create_room(private=True, name=f"Invited {tag}")
    assert bob.post(f"/ws/rooms/{invited}/members", json={"user_id": ada.id}).status_code == 200
    expect(room_row(page, f"Invited {tag}")).to_be_visible(timeout=AT_ONCE_MS)
    assert bob.request("PATCH", f"/ws/rooms/{invited}", json={"name": f"Renamed {tag}"}).status_code == 200
    expect(room_row(page, f"Renamed {tag}")).to_be_visible(timeout=AT_ONCE_MS)
    expect(room_row(page, f"Invited {tag}")).to_have_count(0)

    # A DM shows up once its first message is written, unread.
    dm = bob.post(f"/ws/dm/{ada.id}").json()["id"]
    bob.post(f"/ws/rooms/{dm}/messages", json={"content": "psst"})
    dm_row = room_row(page, f"{bob.username}")
    expect(dm_row.get_by_label("1 unread")).to_be_visible(timeout=AT_ONCE_MS)
    expect(dm_row).to_contain_text("direct message")

    # The open room deleted by its owner: back to the list, which no longer has it.
    room_row(page, f"Renamed {tag}").get_by_role("button").click()
    expect(page.get_by_text("Connected")).to_be_visible()
    assert bob.request("DELETE", f"/ws/rooms/{invited}").status_code == 204
    expect(room_row(page, f"Renamed {tag}")).to_have_count(0)
    expect(page.locator("#room")).to_be_hidden()
    expect(page.get_by_text("You are no longer in that room.")).to_be_visible()


def test_a_room_joined_in_another_tab_appears_in_this_one(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    name = f"Public {uuid.uuid4().hex[:6]}"
    public = bob.create_room(name=name)
    first, second = page_at(), page_at()
    for page in (first, second):
        log_in(page, ada)
    ada.login()
    assert ada.post(f"/ws/rooms/{public}/members").status_code == 200  # as a third tab would
    for page in (first, second):
        # Listed before as a public room to join: now with its two members.
        expect(room_row(page, name)).to_contain_text("2 members", timeout=AT_ONCE_MS)


def test_a_mention_badge_shows_at_once_stays_on_reload_and_goes_once_read(page_at, base_url):
    ada, bob, tag, (called, chatty) = rooms_ada_joined(base_url, "Called", "Chatty")
    page = page_at()
    log_in(page, ada)
    expect(room_row(page, f"Called {tag}")).to_be_visible()

    bob.post(f"/ws/rooms/{chatty}/messages", json={"content": "just chatting"})
    bob.post(f"/ws/rooms/{called}/messages", json={"content": f"@{ada.username} a word?"})
    expect(room_row(page, f"Called {tag}").get_by_label("mentions you")).to_be_visible(timeout=AT_ONCE_MS)
    expect(room_row(page, f"Chatty {tag}").get_by_label("1 unread")).to_be_visible()
    expect(room_row(page, f"Chatty {tag}").get_by_label("mentions you")).to_have_count(0)
    page.reload()
    expect(room_row(page, f"Called {tag}").get_by_label("mentions you")).to_be_visible()

    room_row(page, f"Called {tag}").get_by_role("button").click()
    expect(messages(page)).to_have_count(1)
    expect(room_row(page, f"Called {tag}").get_by_label("mentions you")).to_have_count(0)
    page.wait_for_timeout(1000)  # the page says it read the room half a second after showing it
    page.goto("/")  # no room open: the badge is gone because the mention was read
    expect(room_row(page, f"Chatty {tag}").get_by_label("1 unread")).to_be_visible()
    expect(room_row(page, f"Called {tag}").get_by_label("mentions you")).to_have_count(0)


def test_a_read_of_the_list_and_the_stream_crossing_count_each_message_once(page_at, base_url):
    ada, bob, tag, (watched, *spares) = rooms_ada_joined(base_url, "Watched", "Spare", "Other")
    page = page_at()
    log_in(page, ada)
    expect(room_row(page, f"Watched {tag}")).to_be_visible()
    crossing = []  # how the next read of the list meets a message

    def read_the_list(route):
        order = crossing.pop() if crossing else None
        if order == "read first":  # read, then the message: its activity arrives before the read does
            answer = route.fetch()
            bob.post(f"/ws/rooms/{watched}/messages", json={"content": "after the read"})
            time.sleep(0.5)
        elif order == "message first":  # the read counts it, and its activity may come after
            bob.post(f"/ws/rooms/{watched}/messages", json={"content": "before the read"})
            answer = route.fetch()
        else:
            answer = route.fetch()
        route.fulfill(response=answer)

    page.route("**/ws/getRooms*", read_the_list)
    for order, spare, unread in (("read first", spares[0], "1 unread"), ("message first", spares[1], "2 unread")):
        crossing.append(order)
        # Leaving a room makes the page read the list again (a public room left is still there to join).
        assert ada.request("DELETE", f"/ws/rooms/{spare}/members/me").status_code == 204
        expect(room_row(page, f"Watched {tag}").get_by_label(unread)).to_be_visible()
        page.wait_for_timeout(500)  # and nothing counts it twice meanwhile
        expect(room_row(page, f"Watched {tag}").get_by_label(unread)).to_be_visible()
