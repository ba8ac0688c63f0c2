"""Registering, logging in and out in a real browser, with the contract's accessible names."""

import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.web.conftest import screenshot
from ws_service.hub import SWEEP_SECONDS

pytestmark = pytest.mark.browser


def fill_credentials(page, username, password):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)


def test_register_log_out_and_log_in_again(page_at):
    page = page_at()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_hidden()
    name = f"web_{uuid.uuid4().hex[:8]}"
    screenshot(page, "login")
    fill_credentials(page, name, "a good password")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_hidden()
    screenshot(page, "logged-in")

    page.reload()  # the HttpOnly cookie carries the session across a reload
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_hidden()
    fill_credentials(page, name, "a good password")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()


def test_the_token_is_never_where_a_script_can_read_it(page_at):
    page = page_at()
    fill_credentials(page, f"web_{uuid.uuid4().hex[:8]}", "a good password")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_text("Logged in as")).to_be_visible()
    assert "parley_token" not in page.evaluate("document.cookie")
    assert page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
    cookie = next(c for c in page.context.cookies() if c["name"] == "parley_token")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_errors_are_shown_in_plain_words(page_at, new_person):
    taken = new_person().register()
    page = page_at()
    fill_credentials(page, taken.username, "another password")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("That username is taken. Try another.")
    fill_credentials(page, taken.username, "not the password")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    screenshot(page, "login-error")


def test_the_page_fits_a_phone(page_at):
    page = page_at(width=390, height=844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("button", name="Register", exact=True)).to_be_visible()
    screenshot(page, "login-phone")


def test_a_session_ended_elsewhere_takes_the_page_back_to_the_login_form(page_at, new_person):
    person = new_person().register()
    page = page_at()
    fill_credentials(page, person.username, person.password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.get_by_label("Room name").fill(f"Alone {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create room", exact=True).click()
    expect(page.get_by_text("Connected")).to_be_visible()

    # The same session ended from another place (another tab, a stolen token revoked by logout).
    person.token = next(c["value"] for c in page.context.cookies() if c["name"] == "parley_token")
    assert person.post("/auth/logout").status_code == 202
    expect(page.get_by_role("alert")).to_have_text(
        "You were logged out. Log in again.", timeout=(2 * SWEEP_SECONDS + 5) * 1000
    )
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_text("Reconnecting…")).to_have_count(0)


def test_delete_your_account_after_saying_yes(page_at, base_url):
    page = page_at()
    name = f"gone_{uuid.uuid4().hex[:8]}"
    fill_credentials(page, name, "a good password")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()
    page.get_by_role("button", name="People", exact=True).click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete my account", exact=True).click()
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()  # "no": nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete my account", exact=True).click()
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Your account is deleted.")
    login = requests.post(f"{base_url}/auth/login", json={"username": name, "password": "a good password"})
    assert login.status_code == 401
