"""Keyboard: @-completion of the room's people in the composer, and Ctrl+K to go to any room."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.test_chat import log_in, messages

pytestmark = pytest.mark.browser


def test_at_and_the_start_of_a_name_offers_the_rooms_people(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    ada = Person(base_url, username=f"ada_{tag}").register().login()
    bobs = [Person(base_url, username=f"bob{n}_{tag}").register().login() for n in (1, 2)]
    room_id = ada.create_room(name=f"Names {tag}")
    for bob in bobs:
        assert bob.post(f"/ws/rooms/{room_id}/members").status_code == 200
        bob.post(f"/ws/rooms/{room_id}/messages", json={"content": "hello"})
    page = page_at()
    log_in(page, ada)
    page.goto(f"/#/rooms/{room_id}")
    expect(messages(page)).to_have_count(2)

    composer = page.get_by_label("Message")
    composer.press_sequentially("tea, @BOB")
    offered = page.get_by_role("listbox", name="People to mention")
    expect(offered.get_by_role("option")).to_have_text([f"@{bobs[0].username}", f"@{bobs[1].username}"])
    expect(offered.get_by_role("option", selected=True)).to_have_text(f"@{bobs[0].username}")
    composer.press("ArrowDown")
    expect(offered.get_by_role("option", selected=True)).to_have_text(f"@{bobs[1].username}")
    composer.press("Enter")  # takes the choice; sends nothing
    expect(offered).to_be_hidden()
    expect(composer).to_have_value(f"tea, @{bobs[1].username} ")
    expect(messages(page)).to_have_count(2)

    composer.press_sequentially("and @b")
    page.get_by_role("option", name=f"@{bobs[0].username}").click()
    composer.press_sequentially("at five")
    composer.press("Enter")
    expect(messages(page).last).to_contain_text(f"tea, @{bobs[1].username} and @{bobs[0].username} at five")
    # No one by that name, or not a mention (inside an address): nothing offered.
    composer.press_sequentially("mail me at x@b")
    expect(offered).to_be_hidden()
    composer.press_sequentially(" or @zz")
    expect(offered).to_be_hidden()


def test_ctrl_k_goes_to_a_room_by_part_of_its_name(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    ada = Person(base_url).register().login()
    ada.create_room(name=f"Alpha {tag}")
    beta = ada.create_room(name=f"Beta {tag}")
    page = page_at()
    log_in(page, ada)
    expect(page.get_by_role("button", name=f"Beta {tag}")).to_be_visible()  # the list is read
    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Go to a room")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Go to room")).to_be_focused()
    page.keyboard.type(f"ta {tag}")
    expect(dialog.get_by_role("option")).to_have_text([f"Beta {tag}"])
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#room-name")).to_have_text(f"Beta {tag}")
    expect(page).to_have_url(re.compile(f"#/rooms/{beta}$"))

    page.get_by_role("button", name="Go to room…").click()
    page.keyboard.type(tag)
    expect(dialog.get_by_role("option")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#room-name")).to_have_text(f"Beta {tag}")
