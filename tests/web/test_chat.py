"""Two people chatting in two browser contexts of Debian's Chromium."""

import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import Person, RunningServer, server_of_its_own
from tests.web.conftest import PLAIN_HTTP_NAME, screenshot

pytestmark = pytest.mark.browser


def log_in(page, person):
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_text(f"Logged in as {person.username}")).to_be_visible()


def send(page, text):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def messages(page):
    return page.get_by_role("list", name="History").locator("li.message")  # not the "New messages" divider


def two_in_a_room(base_url, name):
    """Ada and Bob, signed in, and a public room of Ada's that Bob joined: (ada, bob, room id)."""
    ada, bob = Person(base_url).register().login(), Person(base_url).register().login()
    room_id = ada.create_room(name=f"{name} {uuid.uuid4().hex[:6]}")
    assert bob.post(f"/ws/rooms/{room_id}/members").status_code == 200
    return ada, bob, room_id


def pages_in_room(page_at, room_id, *people):
    """A page for each of `people`, logged in and connected to the room."""
    pages = []
    for person in people:
        page = page_at()
        log_in(page, person)
        page.goto(f"/#/rooms/{room_id}")
        expect(page.get_by_text("Connected")).to_be_visible()
        pages.append(page)
    return pages


def test_two_people_create_join_and_talk_both_ways(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register()
    room_name = f"Tea {uuid.uuid4().hex[:6]}"
    ada_page = page_at()
    log_in(ada_page, ada)
    ada_page.get_by_label("Room name").fill(room_name)
    ada_page.get_by_role("button", name="Create room", exact=True).click()
    expect(ada_page.get_by_text("Connected")).to_be_visible()

    bob_page = page_at(width=390, height=844)
    log_in(bob_page, bob)
    bob_page.get_by_role("button", name=room_name).click()
    expect(bob_page.get_by_text("Connected")).to_be_visible()
    online = ada_page.get_by_role("list", name="Online")
    expect(online).to_contain_text(bob.username)
    expect(bob_page.get_by_role("list", name="Online")).to_contain_text(ada.username)

    send(ada_page, "Hello Bob")
    expect(messages(bob_page).last).to_contain_text("Hello Bob")
    expect(messages(bob_page).last).to_contain_text(ada.username)
    send(bob_page, "Hi Ada")
    expect(messages(ada_page).last).to_contain_text("Hi Ada")
    # Our own message appears once, not again when the server echoes it.
    expect(messages(ada_page)).to_have_count(2)
    expect(messages(bob_page)).to_have_count(2)
    screenshot(ada_page, "chat-desktop")
    screenshot(bob_page, "chat-phone")
    assert bob_page.evaluate("document.documentElement.scrollWidth") <= 390

    bob_page.reload()  # the room's address opens it again (on a phone, in place of the room list)
    expect(messages(bob_page)).to_have_count(2)
    expect(messages(bob_page).first).to_contain_text("Hello Bob")


def test_people_on_plain_http_under_a_name_other_than_localhost_can_send(browser, base_url):
    """As `docker compose up` is reached over a LAN (http://server:8080): not a secure context, so
    no crypto.randomUUID."""
    ada = Person(base_url).register()
    lan_url = base_url.replace("127.0.0.1", PLAIN_HTTP_NAME).replace("localhost", PLAIN_HTTP_NAME)
    context = browser.new_context(base_url=lan_url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/")
        assert page.evaluate("window.isSecureContext") is False
        log_in(page, ada)
        page.get_by_label("Room name").fill(f"Lan {uuid.uuid4().hex[:6]}")
        page.get_by_role("button", name="Create room", exact=True).click()
        expect(page.get_by_text("Connected")).to_be_visible()
        send(page, "over plain http")
        expect(messages(page).last).to_contain_text("over plain http")
        expect(messages(page).last).not_to_have_class(re.compile(r"\bpending\b"))  # stored, not a ghost
        assert errors == []
    finally:
        context.close()


def test_a_message_is_shown_as_text_never_as_html(page_at, base_url):
    ada = Person(base_url).register()
    page = page_at()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, ada)
    page.get_by_label("Room name").fill(f"Probe {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create room", exact=True).click()
    expect(page.get_by_text("Connected")).to_be_visible()
    probe = "<img src=x onerror=alert(1)>"
    send(page, probe)
    expect(messages(page).last.locator(".content")).to_have_text(probe)
    page.reload()
    page.get_by_role("button", name="Probe", exact=False).first.click()
    expect(messages(page).last.locator(".content")).to_have_text(probe)
    assert page.locator("#messages img").count() == 0
    assert dialogs == []


def test_the_page_reconnects_after_a_server_restart_and_catches_up(browser, database_url, tmp_path):
    server = RunningServer({"DATABASE_URL": database_url}, tmp_path / "server.log")
    context = browser.new_context(base_url=server.url)
    try:
        ada, bob = Person(server.url).register().login(), Person(server.url).register().login()
        room = ada.create_room(name=f"Restart {uuid.uuid4().hex[:6]}")
        bob.post(f"/ws/rooms/{room}/members")
        page = context.new_page()
        page.goto("/")
        log_in(page, ada)
        page.get_by_role("button", name="Restart", exact=False).first.click()
        expect(page.get_by_text("Connected")).to_be_visible()
        bob.post(f"/ws/rooms/{room}/messages", json={"content": "before the restart"})
        expect(messages(page)).to_have_count(1)

        assert server.stop() == 0
        expect(page.get_by_text("Reconnecting…")).to_be_visible()
        screenshot(page, "chat-reconnecting")
        server = RunningServer({"DATABASE_URL": database_url}, tmp_path / "server.log", port=server.port)
        bob.post(f"/ws/rooms/{room}/messages", json={"content": "while you were away"})
        expect(page.get_by_text("Connected")).to_be_visible(timeout=20000)
        bob.post(f"/ws/rooms/{room}/messages", json={"content": "after the restart"})
        expect(messages(page)).to_have_count(3, timeout=20000)
        expect(messages(page).nth(1)).to_contain_text("while you were away")
        expect(messages(page).nth(2)).to_contain_text("after the restart")
    finally:
        context.close()
        server.stop()


def open_new_room(page, name, private=False):
    page.get_by_label("Room name").fill(name)
    if private:
        page.get_by_label("Private").check()
    page.get_by_role("button", name="Create room", exact=True).click()
    expect(page.get_by_text("Connected")).to_be_visible()


def test_edit_and_delete_your_own_messages(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    page = page_at()
    log_in(page, ada)
    room_name = f"Edits {uuid.uuid4().hex[:6]}"
    open_new_room(page, room_name)
    send(page, "tpyo here")
    send(page, "delete me")
    expect(messages(page)).to_have_count(2)
    room_id = bob.room_named(room_name)
    bob.post(f"/ws/rooms/{room_id}/members")
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": "not yours to edit"})
    expect(messages(page)).to_have_count(3)
    expect(messages(page).nth(2).get_by_role("button", name=re.compile("^Edit"))).to_have_count(0)

    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    first = messages(page).nth(0)
    first.get_by_role("button", name="Edit “tpyo here”", exact=True).click()
    first.get_by_role("button", name="Edit “tpyo here”", exact=True).click()  # again, while editing: nothing breaks
    expect(page.get_by_label("New wording")).to_have_count(1)
    page.get_by_label("New wording").fill("never sent")
    page.get_by_label("New wording").press("Escape")  # cancels
    expect(page.get_by_label("New wording")).to_have_count(0)
    expect(first.locator(".content")).to_have_text("tpyo here")
    first.get_by_role("button", name="Edit “tpyo here”", exact=True).click()
    first.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_label("New wording")).to_have_count(0)
    first.get_by_role("button", name="Edit “tpyo here”", exact=True).click()
    page.get_by_label("New wording").fill("typo fixed")
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".content")).to_have_text("typo fixed")
    expect(first).to_contain_text("(edited)")
    expect(page.get_by_role("button", name="Edit “typo fixed”", exact=True)).to_be_visible()  # named anew
    expect(messages(page).nth(1)).not_to_contain_text("(edited)")

    # Delete asks first: "no" keeps the message, "yes" deletes it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    messages(page).nth(1).get_by_role("button", name="Delete “delete me”", exact=True).click()
    expect(messages(page)).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept())
    messages(page).nth(1).get_by_role("button", name="Delete “delete me”", exact=True).click()
    expect(messages(page)).to_have_count(2)
    history = [e["type"] for e in bob.get(f"/ws/rooms/{room_id}/messages").json()["events"]]
    assert history == ["message", "message", "message", "message_edited", "message_deleted"]
    assert errors == []

    page.reload()  # the history says it was edited too
    page.get_by_role("button", name=room_name).click()
    expect(messages(page).nth(0)).to_contain_text("typo fixed")
    expect(messages(page).nth(0)).to_contain_text("(edited)")


def test_only_a_mention_of_your_whole_name_is_highlighted(page_at, base_url):
    ada = Person(base_url, username=f"amy{uuid.uuid4().hex[:8]}").register()
    longer = Person(base_url, username=f"{ada.username}smith").register().login()
    room_id = longer.create_room(name=f"Names {uuid.uuid4().hex[:6]}")
    page = page_at()
    log_in(page, ada)
    assert ada.login().post(f"/ws/rooms/{room_id}/members").status_code == 200
    for content in (f"hi @{longer.username}", f"hello @{ada.username}.", f"mail {ada.username}@example.com"):
        longer.post(f"/ws/rooms/{room_id}/messages", json={"content": content})
    page.get_by_role("button", name=re.compile("^Names ")).first.click()
    expect(messages(page)).to_have_count(3)
    expect(page.locator("li.message.mention")).to_have_count(1)
    expect(page.locator("li.message.mention")).to_contain_text(f"hello @{ada.username}.")


def test_a_room_of_one_says_1_member(page_at, base_url):
    ada = Person(base_url).register()
    page = page_at()
    log_in(page, ada)
    open_new_room(page, f"Alone {uuid.uuid4().hex[:6]}")
    expect(page.get_by_text("1 member", exact=False).first).to_be_visible()
    expect(page.get_by_text("1 members")).to_have_count(0)


def test_scroll_back_loads_older_messages(page_at, base_url):
    ada = Person(base_url).register().login()
    room_name = f"Long {uuid.uuid4().hex[:6]}"
    room_id = ada.create_room(name=room_name)
    for i in range(230):
        ada.post(f"/ws/rooms/{room_id}/messages", json={"content": f"line {i}"})
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name=room_name).click()
    expect(messages(page)).to_have_count(200)
    expect(messages(page).first).to_contain_text("line 30")
    page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")  # read up to the oldest shown
    page.get_by_role("button", name="Load older messages", exact=True).click()
    expect(messages(page)).to_have_count(230)
    expect(messages(page).first).to_contain_text("line 0")
    # Where the reader was stays in view; the older ones are above it, not in its place.
    expect(messages(page).filter(has_text="line 30")).to_be_in_viewport()
    expect(messages(page).filter(has_text="line 0")).not_to_be_in_viewport()
    expect(page.get_by_role("button", name="Load older messages", exact=True)).to_be_hidden()


def test_the_owner_adds_someone_to_a_private_room(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register()
    ada_page = page_at()
    log_in(ada_page, ada)
    room_name = f"Secret {uuid.uuid4().hex[:6]}"
    open_new_room(ada_page, room_name, private=True)
    bob_page = page_at()
    log_in(bob_page, bob)
    expect(bob_page.get_by_role("button", name=room_name)).to_have_count(0)
    ada_page.get_by_label("Add person").fill("nobody_by_this_name")
    ada_page.get_by_role("button", name="Add to room", exact=True).click()
    expect(ada_page.get_by_role("alert")).to_have_text("There is no one by that name.")
    ada_page.get_by_label("Add person").fill(bob.username)
    ada_page.get_by_role("button", name="Add to room", exact=True).click()
    expect(ada_page.get_by_role("alert")).to_contain_text(f"{bob.username} can now join")
    bob_page.reload()
    bob_page.get_by_role("button", name=room_name).click()
    expect(bob_page.get_by_text("Connected")).to_be_visible()


def test_leaving_a_room(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    page = page_at()
    log_in(page, ada)
    room_name = f"Brief {uuid.uuid4().hex[:6]}"
    open_new_room(page, room_name)
    room_id = bob.room_named(room_name)

    def answer_late(route):
        # The leave is done, and the event stream says so, before the page hears the answer.
        answer = route.fetch()
        time.sleep(0.5)
        route.fulfill(response=answer)

    page.route("**/members/me", answer_late)
    page.get_by_role("button", name="Leave room", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(f"You left {room_name}.")
    expect(page.get_by_role("region", name="Conversation")).to_be_hidden()
    bob.post(f"/ws/rooms/{room_id}/members")
    assert [c["id"] for c in bob.get(f"/ws/getClients/{room_id}").json()["clients"]] == []


def test_a_flood_is_told_in_plain_words(browser, database_url, tmp_path):
    server = RunningServer({"DATABASE_URL": database_url}, tmp_path / "server.log")  # the default limits
    context = browser.new_context(base_url=server.url)
    try:
        ada = Person(server.url).register()
        page = context.new_page()
        page.goto("/")
        log_in(page, ada)
        open_new_room(page, f"Flood {uuid.uuid4().hex[:6]}")
        # Faster than a person types: 40 sends through the page's own form, at once.
        page.evaluate("""() => {
            const form = document.querySelector("#composer");
            for (let i = 0; i < 40; i++) { form.content.value = `again ${i}`; form.requestSubmit(); }
        }""")
        # Each refused one says so on itself; none stays grey and pending.
        failed = page.locator("li.message.failed")
        expect(failed.first).to_contain_text("Not sent: You are sending too fast. Wait a moment.")
        expect(page.locator("li.message.pending")).to_have_count(0)
        expect(messages(page)).to_have_count(40)
        assert 15 <= failed.count() <= 25  # the burst (20) was stored, give or take a refill
    finally:
        context.close()
        server.stop()


@pytest.fixture(scope="module")
def strict_server(database_url, tmp_path_factory):
    """A burst of 3 messages, then one every 2 s: a quick fourth is refused."""
    yield from server_of_its_own(
        database_url, tmp_path_factory, "strict", {"MESSAGE_BURST": "3", "MESSAGE_RATE_PER_SECOND": "0.5"}
    )


def test_a_refused_send_says_not_sent_on_itself_with_retry_and_discard(browser, strict_server):
    ada = Person(strict_server.url).register().login()
    room_name = f"Strict {uuid.uuid4().hex[:6]}"
    room_id = ada.create_room(name=room_name)
    context = browser.new_context(base_url=strict_server.url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/")
        log_in(page, ada)
        page.get_by_role("button", name=room_name).click()
        expect(page.get_by_text("Connected")).to_be_visible()
        for i in range(5):
            send(page, f"quick {i}")
        failed = page.locator("li.message.failed")
        expect(failed).to_have_count(2)
        expect(failed.first).to_contain_text("Not sent: You are sending too fast.")
        expect(page.locator("li.message.pending")).to_have_count(0)
        retried, discarded = (
            failed.nth(0).locator(".content").inner_text(),
            failed.nth(1).locator(".content").inner_text(),
        )

        page.wait_for_timeout(2500)  # a token back
        failed.nth(0).get_by_role("button", name=f"Retry “{retried}”", exact=True).click()
        expect(failed).to_have_count(1)
        failed.nth(0).get_by_role("button", name=f"Discard “{discarded}”", exact=True).click()
        expect(failed).to_have_count(0)
        expect(messages(page)).to_have_count(4)
        stored = [e["content"] for e in ada.get(f"/ws/rooms/{room_id}/messages").json()["events"]]
        assert sorted(stored) == sorted({f"quick {i}" for i in range(5)} - {discarded})
        assert retried in stored
    finally:
        context.close()


def test_the_status_line_is_in_view_and_clears_itself(page_at, base_url):
    ada = Person(base_url).register()
    taken = f"Taken {uuid.uuid4().hex[:6]}"
    Person(base_url).register().login().create_room(name=taken)
    page = page_at()
    log_in(page, ada)
    page.get_by_label("Room name").fill(taken)
    page.get_by_role("button", name="Create room", exact=True).click()
    status = page.locator("#status")
    expect(status).to_have_text("A room with that name exists already.")
    expect(status).to_be_in_viewport()
    expect(status).to_be_empty(timeout=12_000)


def test_each_room_has_an_address_kept_on_reload_with_back_and_forward(page_at, base_url):
    ada = Person(base_url).register().login()
    names = {}
    for kind in ("Tea", "Cake"):
        name = f"{kind} {uuid.uuid4().hex[:6]}"
        names[ada.create_room(name=name)] = name
    tea, cake = names
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name=names[tea]).click()
    expect(page.locator("#room-name")).to_have_text(names[tea])
    expect(page).to_have_url(re.compile(f"#/rooms/{tea}$"))
    expect(page.get_by_role("button", name=names[tea])).to_have_attribute("aria-current", "true")

    page.reload()
    expect(page.locator("#room-name")).to_have_text(names[tea])
    expect(page.get_by_text("Connected")).to_be_visible()

    page.get_by_role("button", name=names[cake]).click()
    expect(page).to_have_url(re.compile(f"#/rooms/{cake}$"))
    expect(page.get_by_role("button", name=names[tea])).not_to_have_attribute("aria-current", "true")
    page.go_back()
    expect(page.locator("#room-name")).to_have_text(names[tea])
    page.go_forward()
    expect(page.locator("#room-name")).to_have_text(names[cake])


def test_enter_sends_shift_enter_starts_a_line_and_links_are_anchors(page_at, base_url):
    ada = Person(base_url).register().login()
    room_name = f"Keys {uuid.uuid4().hex[:6]}"
    room_id = ada.create_room(name=room_name)
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name=room_name).click()
    expect(page.get_by_text("Connected")).to_be_visible()
    composer = page.get_by_label("Message")
    composer.press_sequentially("first line")
    composer.press("Shift+Enter")
    composer.press_sequentially("see https://example.com/a?b=1. and javascript:alert(1)")
    composer.press("Enter")
    expect(messages(page)).to_have_count(1)
    expect(composer).to_have_value("")
    stored = ada.get(f"/ws/rooms/{room_id}/messages").json()["events"]
    assert [e["content"] for e in stored] == ["first line\nsee https://example.com/a?b=1. and javascript:alert(1)"]
    link = messages(page).first.get_by_role("link")
    expect(link).to_have_count(1)  # not the javascript: one
    expect(link).to_have_text("https://example.com/a?b=1")
    expect(link).to_have_attribute("href", "https://example.com/a?b=1")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert messages(page).first.locator(".content").inner_text().startswith("first line\nsee ")


def test_the_page_has_a_favicon(page_at, base_url):
    page = page_at()
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_attribute("href", "/favicon.svg")
    answer = requests.get(f"{base_url}/favicon.svg", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")


def test_on_a_phone_an_open_room_takes_the_screen_with_a_way_back(page_at, base_url):
    ada = Person(base_url).register().login()
    room_name = f"Phone {uuid.uuid4().hex[:6]}"
    ada.create_room(name=room_name)
    page = page_at(width=390, height=844)
    log_in(page, ada)
    logout = page.get_by_role("button", name="Log out", exact=True).bounding_box()
    assert logout["height"] < 50, "Log out wraps onto two lines"
    page.get_by_role("button", name=room_name).click()
    expect(page.get_by_text("Connected")).to_be_visible()
    expect(page.get_by_label("Message")).to_be_in_viewport()
    expect(page.get_by_role("region", name="Rooms")).to_be_hidden()
    page.get_by_role("button", name="Back to rooms").click()
    expect(page.get_by_role("region", name="Rooms")).to_be_visible()
    expect(page.get_by_role("region", name="Conversation")).to_be_hidden()
    expect(page).not_to_have_url(re.compile("#/rooms/"))


def test_on_a_desktop_the_rooms_stay_beside_the_open_room(page_at, base_url):
    ada = Person(base_url).register().login()
    room_name = f"Desk {uuid.uuid4().hex[:6]}"
    ada.create_room(name=room_name)
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name=room_name).click()
    expect(page.get_by_text("Connected")).to_be_visible()
    expect(page.get_by_role("region", name="Rooms")).to_be_visible()
    expect(page.get_by_role("button", name="Back to rooms")).to_be_hidden()


def test_messages_show_their_time_a_separator_per_day_an_avatar_and_group_by_author(page_at, base_url, db_cursor):
    ada, bob = Person(base_url).register().login(), Person(base_url).register().login()
    room_name = f"Days {uuid.uuid4().hex[:6]}"
    room_id = ada.create_room(name=room_name)
    assert bob.post(f"/ws/rooms/{room_id}/members").status_code == 200
    for author, content in (
        (ada, "yesterday's news"),
        (ada, "and more of it"),
        (ada, "good morning"),
        (ada, "coffee?"),
        (bob, "yes"),
    ):
        assert author.post(f"/ws/rooms/{room_id}/messages", json={"content": content}).status_code == 201
    db_cursor.execute(
        "UPDATE messages SET created_at = now() - interval '1 day' WHERE room_id = %s AND content IN %s",
        (room_id, ("yesterday's news", "and more of it")),
    )
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name=room_name).click()
    expect(messages(page)).to_have_count(5)
    days = page.locator("#messages li.day")
    expect(days).to_have_text(["Yesterday", "Today"])
    expect(page.locator("#messages li.day + li.message")).to_contain_text(["yesterday's news", "good morning"])
    # Grouped: the second of ada's in a row (same day, within minutes) shows no name of its own.
    continued = [messages(page).nth(i).evaluate("n => n.classList.contains('continued')") for i in range(5)]
    assert continued == [False, True, False, True, False]
    stored = {e["content"]: e for e in ada.get(f"/ws/rooms/{room_id}/messages").json()["events"]}
    expect(messages(page).nth(2).locator("time")).to_have_attribute("datetime", stored["good morning"]["created_at"])
    expect(messages(page).nth(2).locator("time")).to_have_text(re.compile(r"^\d{1,2}:\d{2}"))
    expect(messages(page).nth(4).locator(".avatar")).to_have_text(bob.username[:2].upper())
    colours = {messages(page).nth(i).locator(".avatar").evaluate("n => n.style.backgroundColor") for i in (0, 4)}
    assert len(colours) == 2  # a colour of each person's own


def test_dark_mode_follows_the_system(browser, base_url):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(base_url=base_url, color_scheme=scheme)
        page = context.new_page()
        page.goto("/")
        colours[scheme] = page.evaluate(
            "() => [getComputedStyle(document.documentElement).backgroundColor,"
            " getComputedStyle(document.querySelector('#account')).backgroundColor,"
            " getComputedStyle(document.querySelector('#account')).color]"
        )
        context.close()
    assert colours["light"][:2] == ["rgb(244, 246, 250)", "rgb(255, 255, 255)"]
    assert colours["dark"][:2] == ["rgb(20, 23, 31)", "rgb(30, 35, 48)"]
    assert colours["dark"][2] == "rgb(230, 233, 240)"  # light text on the dark surface


def test_the_title_counts_what_is_unread_elsewhere(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    room_id = bob.create_room(name=f"Title {uuid.uuid4().hex[:6]}")
    page = page_at()
    log_in(page, ada)
    expect(page).to_have_title("Parley")
    assert ada.login().post(f"/ws/rooms/{room_id}/members").status_code == 200
    for i in range(3):
        bob.post(f"/ws/rooms/{room_id}/messages", json={"content": f"unread {i}"})
    page.reload()
    expect(page).to_have_title("(3) Parley")
    page.get_by_role("button", name="Title ").click()
    expect(messages(page)).to_have_count(3)
    expect(page).to_have_title("Parley")  # the open room is being read


def test_the_owner_renames_and_deletes_a_room_others_only_see_it(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    room_name = f"Owned {uuid.uuid4().hex[:6]}"
    page = page_at()
    log_in(page, ada)
    open_new_room(page, room_name)
    room_id = bob.room_named(room_name)
    new_name = f"Renamed {uuid.uuid4().hex[:6]}"
    page.once("dialog", lambda dialog: dialog.accept(new_name))
    page.get_by_role("button", name="Rename room", exact=True).click()
    expect(page.locator("#room-name")).to_have_text(new_name)
    expect(page.get_by_role("button", name=new_name)).to_be_visible()
    assert bob.room_named(new_name) == room_id

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete room", exact=True).click()
    expect(page.locator("#room-name")).to_have_text(new_name)  # "no": still there
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete room", exact=True).click()
    expect(page.get_by_role("region", name="Conversation")).to_be_hidden()
    expect(page.get_by_role("button", name=new_name)).to_have_count(0)
    assert bob.get(f"/ws/rooms/{room_id}/messages").status_code == 404

    # Someone else's room: neither button.
    bobs_room = f"Bobs {uuid.uuid4().hex[:6]}"
    bob.create_room(name=bobs_room)
    page.reload()
    page.get_by_role("button", name=bobs_room).click()
    expect(page.get_by_text("Connected")).to_be_visible()
    expect(page.get_by_role("button", name="Rename room", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Delete room", exact=True)).to_be_hidden()


def test_up_in_an_empty_composer_edits_your_last_message(page_at, base_url):
    ada = Person(base_url).register()
    page = page_at()
    log_in(page, ada)
    open_new_room(page, f"Up {uuid.uuid4().hex[:6]}")
    send(page, "first")
    send(page, "second, with a tpyo")
    expect(messages(page)).to_have_count(2)
    expect(page.get_by_role("button", name="Edit “second, with a tpyo”", exact=True)).to_be_visible()
    page.get_by_label("Message").press("ArrowUp")
    expect(page.get_by_label("New wording")).to_have_value("second, with a tpyo")
    page.get_by_label("New wording").fill("second, with a typo fixed")
    page.get_by_label("New wording").press("Enter")
    expect(messages(page).nth(1).locator(".content")).to_have_text("second, with a typo fixed")


def test_the_mentions_view_lists_mentions_and_opens_their_room(page_at, base_url):
    ada = Person(base_url, username=f"ada{uuid.uuid4().hex[:8]}").register()
    bob = Person(base_url).register().login()
    room_name = f"Mentioned {uuid.uuid4().hex[:6]}"
    room_id = bob.create_room(name=room_name)
    assert ada.login().post(f"/ws/rooms/{room_id}/members").status_code == 200
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": f"@{ada.username} see https://example.com"})
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": "not you"})
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name="Mentions", exact=True).click()
    mentions = page.get_by_role("list", name="Mentions of you").locator("li")
    expect(mentions).to_have_count(1)
    expect(mentions.first).to_contain_text(bob.username)
    expect(mentions.first.get_by_role("link")).to_have_attribute("href", "https://example.com")
    mentions.first.get_by_role("button", name=room_name).click()
    expect(page.locator("#room-name")).to_have_text(room_name)
    expect(page).to_have_url(re.compile(f"#/rooms/{room_id}$"))


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_a_long_conversation_scrolls_inside_the_window_with_the_composer_pinned(page_at, base_url, width, height):
    ada = Person(base_url).register().login()
    room_name = f"Long {uuid.uuid4().hex[:6]}"
    room_id = ada.create_room(name=room_name)
    for i in range(60):
        ada.post(f"/ws/rooms/{room_id}/messages", json={"content": f"line {i}"})
    page = page_at(width=width, height=height)
    log_in(page, ada)
    page.goto(f"/#/rooms/{room_id}")
    expect(messages(page)).to_have_count(60)
    expect(page.get_by_text("line 59")).to_be_in_viewport()
    page_scroll = page.evaluate("document.scrollingElement.scrollHeight - innerHeight")
    assert page_scroll <= 0, "the page itself scrolls: the composer would leave the window"
    composer = page.get_by_role("button", name="Send", exact=True).bounding_box()
    assert composer["y"] + composer["height"] <= height
    history = page.get_by_role("list", name="History")
    assert history.evaluate("list => list.scrollHeight > list.clientHeight")
    history.evaluate("list => { list.scrollTop = 0; }")
    expect(page.get_by_text("line 0", exact=True)).to_be_in_viewport()
    expect(page.get_by_label("Message")).to_be_in_viewport()  # still there, scrolled back or not
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": "line 60"})
    expect(messages(page)).to_have_count(61)
    expect(page.get_by_text("line 0", exact=True)).to_be_in_viewport()  # reading back: left in place
    online = page.get_by_role("list", name="Online").bounding_box()
    if width > 700:  # the people here in a panel beside the conversation
        assert online["x"] > history.bounding_box()["x"] + history.bounding_box()["width"]
    else:  # on a phone, a line under the room's name
        assert online["y"] < history.bounding_box()["y"]


def test_a_small_markdown_shows_as_formatting_and_edits_start_from_what_was_written(page_at, base_url):
    ada = Person(base_url).register().login()
    room_id = ada.create_room(name=f"Markdown {uuid.uuid4().hex[:6]}")
    written = (
        "**bold with https://example.com/x_y** and *italics*, _also_, `code *as is*` but not snake_case_name\n"
        "> quoted **too**\n"
        "> <b>still text</b>\n"
        "```\n"
        "def f(x):\n"
        "    return x * 2  # **not bold**\n"
        "```\n"
        "2*3*4 stays as it is"
    )
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": written})
    page = page_at()
    log_in(page, ada)
    page.goto(f"/#/rooms/{room_id}")
    content = messages(page).first.locator(".content")
    expect(content.locator("strong").first).to_have_text("bold with https://example.com/x_y")
    expect(content.locator("strong").first.get_by_role("link")).to_have_attribute("href", "https://example.com/x_y")
    expect(content.locator("em")).to_have_text(["italics", "also"])
    expect(content.locator(":scope > code")).to_have_text("code *as is*")
    expect(content.locator("blockquote")).to_have_text("quoted too\n<b>still text</b>")
    expect(content.locator("blockquote strong")).to_have_text("too")
    expect(content.locator("pre code")).to_have_text("def f(x):\n    return x * 2  # **not bold**")
    expect(content).to_contain_text("not snake_case_name")
    expect(content).to_contain_text("2*3*4 stays as it is")
    assert content.locator("b, img, script").count() == 0
    messages(page).first.get_by_role("button", name=re.compile("^Edit")).click()
    wording = page.get_by_label("New wording")
    expect(wording).to_have_value(written)  # its lines and markdown, not the text shown
    wording.press("End")
    wording.press("Shift+Enter")
    wording.press_sequentially("**edited**")
    wording.press("Enter")
    expect(content.locator("strong").last).to_have_text("edited")
    stored = ada.get(f"/ws/rooms/{room_id}/messages").json()["events"][-1]
    assert stored["content"] == written + "\n**edited**"


def test_the_owner_deletes_anyones_message_and_no_one_else_can(page_at, base_url):
    ada, bob = Person(base_url).register().login(), Person(base_url).register().login()
    room_id = ada.create_room(name=f"Moderated {uuid.uuid4().hex[:6]}")
    assert bob.post(f"/ws/rooms/{room_id}/members").status_code == 200
    ada.post(f"/ws/rooms/{room_id}/messages", json={"content": "house rules: be kind"})
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": "buy cheap watches"})
    ada_page, bob_page = page_at(), page_at()
    for page, person in ((ada_page, ada), (bob_page, bob)):
        log_in(page, person)
        page.goto(f"/#/rooms/{room_id}")
        expect(messages(page)).to_have_count(2)
    # Bob, a member: his own message's buttons only.
    expect(bob_page.get_by_role("button", name="Delete “house rules: be kind”")).to_have_count(0)
    expect(bob_page.get_by_role("button", name="Delete “buy cheap watches”")).to_have_count(1)
    # Ada, the owner: Delete on Bob's message, not Edit.
    expect(ada_page.get_by_role("button", name="Edit “buy cheap watches”")).to_have_count(0)
    asked = []
    ada_page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    ada_page.get_by_role("button", name="Delete “buy cheap watches”").click()
    for page in (ada_page, bob_page):
        expect(messages(page)).to_have_count(1)
        expect(messages(page).first).to_contain_text("house rules")
    assert asked == [f"Delete {bob.username}'s message? Everyone in the room stops seeing it."]


# Requests of the page's own, held back as a test says (window.__delays: {match, ms, times}, first
# rule with times left wins): to put a room's opening and a move back or forward in a given order.
DELAYED_FETCHES = """
window.__delays = [];
const fetchNow = window.fetch.bind(window);
window.fetch = async (url, options) => {
  const rule = window.__delays.find((r) => String(url).includes(r.match) && r.times > 0);
  if (rule) {
    rule.times -= 1;
    await new Promise((resolve) => setTimeout(resolve, rule.ms));
  }
  return fetchNow(url, options);
};
"""


def test_moving_forward_while_the_room_moved_back_to_is_opening_ends_in_the_later_room(page_at, base_url):
    ada = Person(base_url).register().login()
    tea, cake = (ada.create_room(name=f"{kind} {uuid.uuid4().hex[:6]}") for kind in ("Tea", "Cake"))
    page = page_at(init_script=DELAYED_FETCHES)
    log_in(page, ada)
    for room_id in (tea, cake):
        page.goto(f"/#/rooms/{room_id}")
        expect(page.get_by_text("Connected")).to_be_visible()
    # Back: Tea opens, its history slow. Forward meanwhile: the list read for it slower still, so that
    # Tea finishes opening after the address says Cake and before Cake starts.
    page.evaluate(f"""window.__delays.push(
        {{match: "/ws/getRooms", ms: 0, times: 1}},
        {{match: "/ws/rooms/{tea}/messages", ms: 600, times: 1}},
        {{match: "/ws/getRooms", ms: 1500, times: 1}})""")
    page.go_back()
    page.wait_for_timeout(200)
    page.go_forward()
    expect(page).to_have_url(re.compile(f"#/rooms/{cake}$"))
    expect(page.locator("#room-name")).to_contain_text("Cake")
    page.wait_for_timeout(2000)  # once everything has landed
    expect(page.locator("#room-name")).to_contain_text("Cake")
    expect(page).to_have_url(re.compile(f"#/rooms/{cake}$"))
