"""Desktop notifications for DMs and mentions while the tab is hidden, asked for on a click only.

A headless browser shows no notification and has no one to answer its prompt, so the page's
Notification and its visibility are stand-ins that record what the client does with them."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.test_chat import log_in

pytestmark = pytest.mark.browser

RECORDING_NOTIFICATIONS = """
window.__asked = 0;
window.__notified = [];
window.__hidden = false;
class RecordingNotification {
  constructor(title, options) { window.__notified.push({ title, ...options }); window.__last = this; }
  close() {}
}
RecordingNotification.permission = "default";
RecordingNotification.requestPermission = async () => {
  window.__asked += 1;
  RecordingNotification.permission = "granted";
  return "granted";
};
window.Notification = RecordingNotification;
Object.defineProperty(document, "hidden", { get: () => window.__hidden });
Object.defineProperty(document, "visibilityState", { get: () => (window.__hidden ? "hidden" : "visible") });
"""


def notified(page):
    return page.evaluate("window.__notified")


def notified_once_more(page, before, timeout_ms=5000):
    """The notifications made, once there are more than `before` (polled: the page's CSP forbids
    Playwright's wait_for_function)."""
    for _ in range(timeout_ms // 50):
        made = notified(page)
        if len(made) > before:
            return made
        page.wait_for_timeout(50)
    raise AssertionError(f"no notification after the {before} made")


def test_dms_and_mentions_notify_while_the_tab_is_hidden_after_a_click_allowed_it(page_at, base_url):
    ada, bob = Person(base_url).register(), Person(base_url).register().login()
    tag = uuid.uuid4().hex[:6]
    room_id = bob.create_room(name=f"Busy {tag}")
    assert ada.login().post(f"/ws/rooms/{room_id}/members").status_code == 200
    page = page_at(init_script=RECORDING_NOTIFICATIONS)
    log_in(page, ada)
    button = page.get_by_role("button", name="Turn on notifications")
    expect(button).to_be_visible()
    assert page.evaluate("window.__asked") == 0  # never asked on load
    button.click()
    expect(button).to_be_hidden()
    assert page.evaluate("window.__asked") == 1

    # Seen in the tab: nothing to notify.
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": f"@{ada.username} while you look"})
    expect(page.locator("#room-list li").filter(has_text=f"Busy {tag}").get_by_label("1 unread")).to_be_visible()
    page.evaluate("window.__hidden = true")
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": "nothing for ada"})
    bob.post(f"/ws/rooms/{room_id}/messages", json={"content": f"lunch, @{ada.username}?"})
    assert notified_once_more(page, 0) == [
        {
            "title": f"{bob.username} mentioned you in Busy {tag}",
            "body": f"lunch, @{ada.username}?",
            "tag": f"room-{room_id}",
        }
    ]
    dm = bob.post(f"/ws/dm/{ada.id}").json()["id"]
    bob.post(f"/ws/rooms/{dm}/messages", json={"content": "psst, a secret"})  # a new DM: room_added
    assert notified_once_more(page, 1)[1:] == [{"title": bob.username, "body": "psst, a secret", "tag": f"room-{dm}"}]
    bob.post(f"/ws/rooms/{dm}/messages", json={"content": "are you there?"})  # then its activity
    assert notified_once_more(page, 2)[2:] == [{"title": bob.username, "body": "are you there?", "tag": f"room-{dm}"}]

    # A click on it shows the DM.
    page.evaluate("window.__hidden = false; window.__last.onclick()")
    expect(page.locator("#room-name")).to_contain_text(bob.username)
    expect(page.get_by_text("are you there?")).to_be_visible()
    assert len(notified(page)) == 3


def test_without_the_notification_api_nothing_is_offered(page_at, base_url):
    ada = Person(base_url).register()
    page = page_at(init_script="delete window.Notification;")
    log_in(page, ada)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
