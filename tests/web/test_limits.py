"""The page's fields and its typing signal follow the limits the services tell (GET /limits), not
numbers of its own: with what the server says changed on the way, the page changes with it."""

import json
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.test_chat import log_in

pytestmark = pytest.mark.browser


def test_fields_take_their_lengths_from_the_services(page_at, base_url):
    auth = requests.get(f"{base_url}/auth/limits").json()
    ws = requests.get(f"{base_url}/ws/limits").json()
    page = page_at()
    expect(page.get_by_label("Username")).to_have_attribute("maxlength", str(auth["username_length"]["max"]))
    expect(page.get_by_label("Password")).to_have_attribute("minlength", str(auth["password_length"]["min"]))
    expect(page.get_by_label("Room name")).to_have_attribute("maxlength", str(ws["room_name_length"]["max"]))
    expect(page.get_by_label("Message")).to_have_attribute("maxlength", str(ws["message_length"]["max"]))


def changed_limits(base_url, **changes):
    """A route handler answering /ws/limits as the server does, with `changes`."""

    def answer(route):
        told = requests.get(f"{base_url}/ws/limits").json()
        route.fulfill(status=200, content_type="application/json", body=json.dumps({**told, **changes}))

    return answer


def test_the_composer_and_the_typing_signal_follow_ws_limits(browser, base_url):
    ada = Person(base_url).register().login()
    room_id = ada.create_room(name=f"Limits {uuid.uuid4().hex[:6]}")
    for interval, most_signals in ((0.2, None), (60, 1)):
        context = browser.new_context(base_url=base_url)
        try:
            context.route(
                "**/ws/limits",
                changed_limits(base_url, typing_interval_seconds=interval, message_length={"min": 1, "max": 12}),
            )
            page = context.new_page()
            frames = []
            page.on("websocket", lambda ws, frames=frames: ws.on("framesent", lambda sent: frames.append(sent)))
            page.goto("/")
            log_in(page, ada)
            page.goto(f"/#/rooms/{room_id}")
            expect(page.get_by_text("Connected")).to_be_visible()
            composer = page.get_by_label("Message")
            expect(composer).to_have_attribute("maxlength", "12")
            composer.press_sequentially("typing along for a while", delay=100)  # 2.4 s of keys
            signals = [frame for frame in frames if json.loads(frame).get("type") == "typing"]
            if most_signals is None:
                assert len(signals) >= 5, signals  # one every 0.2 s, not every 2 s
            else:
                assert len(signals) == most_signals
            expect(composer).to_have_value("typing along")  # 12 characters, as told
        finally:
            context.close()
