"""The README's screenshots, made from the current web client every time the suite runs, so they
never show an old one. The scene is the same every run (its own database, the same people, room and
words), so an unchanged client gives the same pictures, and a changed one new pictures to commit."""

import psycopg2
import pytest
from playwright.sync_api import expect

from tests.conftest import GENEROUS_LIMITS, REPO, Person, RunningServer, eventually
from tests.web.test_chat import log_in, messages, send

pytestmark = pytest.mark.browser

README_SCREENSHOTS = REPO / "docs" / "screenshots"


# The scene's clock: messages shown with their time and day read the same every run.
SCENE_NOW = "2026-11-30T17:05:00Z"
SCENE_SENT = ("2026-11-30T16:58:00Z", "2026-11-30T16:59:00Z")


@pytest.fixture
def scene_server(databases, tmp_path):
    database_url = databases.create()
    server = RunningServer({"DATABASE_URL": database_url, **GENEROUS_LIMITS}, tmp_path / "server.log")
    server.database_url = database_url
    yield server
    server.stop()


def test_the_readme_shows_the_current_client(browser, scene_server):
    ada, bob = Person(scene_server.url, "ada").register(), Person(scene_server.url, "bob").register()
    pages = {}

    def open_page(person, name, width, height):
        context = browser.new_context(
            base_url=scene_server.url, viewport={"width": width, "height": height}, timezone_id="UTC", locale="en-GB"
        )
        pages[name] = page = context.new_page()
        page.clock.set_fixed_time(SCENE_NOW)
        page.goto("/")
        log_in(page, person)
        return page

    desktop = open_page(ada, "chat-desktop", 1280, 800)
    desktop.get_by_label("Room name").fill("Tea")
    desktop.get_by_role("button", name="Create room", exact=True).click()
    expect(desktop.get_by_text("Connected")).to_be_visible()
    phone = open_page(bob, "chat-phone", 390, 844)
    phone.get_by_role("button", name="Tea", exact=True).click()
    expect(phone.get_by_text("Connected")).to_be_visible()
    expect(desktop.get_by_role("list", name="Online")).to_contain_text("bob")
    expect(phone.get_by_role("list", name="Online")).to_contain_text("ada")
    send(desktop, "Hello Bob! Tea at five?")
    expect(messages(phone).last).to_contain_text("Tea at five?")
    send(phone, "Yes please, see you there")
    expect(messages(desktop)).to_have_count(2)
    expect(messages(phone)).to_have_count(2)
    # Both have read everything (the page says so half a second after showing it): no divider after the reload.
    for person in (ada.login(), bob.login()):
        eventually(lambda person=person: all(r["unread"] == 0 for r in person.get("/ws/getRooms").json()["rooms"]))
    # Sent at the scene's time, not the run's: shown again from the history, as after a reload.
    with psycopg2.connect(scene_server.database_url) as conn, conn.cursor() as cursor:
        for sent_at, content in zip(SCENE_SENT, ("Hello Bob! Tea at five?", "Yes please, see you there"), strict=True):
            cursor.execute("UPDATE messages SET created_at = %s WHERE content = %s", (sent_at, content))
    conn.close()
    for page in (desktop, phone):
        page.reload()
        expect(messages(page)).to_have_count(2)
        expect(page.get_by_text("Connected")).to_be_visible()
    # The open room's online count follows its presence: the same picture every run needs the settled
    # one. (A phone shows the open room alone, without the list.)
    expect(desktop.get_by_text("2 members · 2 online")).to_be_visible()
    expect(phone.get_by_role("region", name="Rooms")).to_be_hidden()

    README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    readme = (REPO / "README.md").read_text()
    for name, page in pages.items():
        # What the screen shows, not the whole page: its length varies by a line from run to run.
        page.screenshot(path=README_SCREENSHOTS / f"{name}.png", animations="disabled")
        assert f"(docs/screenshots/{name}.png)" in readme
    for page in pages.values():  # after every picture: a closed page would leave the others' rooms
        page.context.close()
