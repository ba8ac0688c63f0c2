"""Debian's Chromium, driven by Playwright (no browser download), against the all-in-one process."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import REPO, Person

CHROMIUM = "/usr/bin/chromium"
PLAIN_HTTP_NAME = "parley.test"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # A name that is not localhost, for the page as a LAN reaches it: not a secure context.
    f"--host-resolver-rules=MAP {PLAIN_HTTP_NAME} 127.0.0.1",
]
SCREENSHOTS = Path(os.environ.get("PARLEY_TEST_OUTPUT", REPO / "test-output")) / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def lookalike_rooms(base_url):
    """Public rooms named like the page's own buttons, as other tests (schemathesis among them) may
    leave in the shared database: every button a test clicks must be found by its exact name."""
    owner = Person(base_url).register().login()
    for name in ("send", "log out", "people", "Create room now", "Edit", "Save"):
        assert owner.post("/ws/createRoom", json={"name": name}).status_code in (200, 409)


@pytest.fixture(scope="session")
def browser():
    assert os.path.exists(CHROMIUM), "chromium is not installed: `make test` installs it with apt-get"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page_at(browser, base_url):
    """Opens the web client in a fresh browser context (one person each); closes them after."""
    contexts = []

    def open_page(width=1280, height=800, init_script=None):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
        contexts.append(context)
        if init_script:  # runs in every page of the context before its own scripts
            context.add_init_script(init_script)
        page = context.new_page()
        page.goto("/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
