"""People in the browser: search, a profile, follow and unfollow, post, the feed."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import Person
from tests.web.conftest import screenshot
from tests.web.test_chat import log_in

pytestmark = pytest.mark.browser


def test_search_follow_post_and_read_the_feed(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    ada = Person(base_url, username=f"ada_{tag}").register()
    writer = Person(base_url, username=f"writer_{tag}").register().login()
    writer.post("/users/posts", json={"content": "<b>bold?</b> a first post"})
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name="People", exact=True).click()

    page.get_by_label("Search people").fill(f"writer_{tag}")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("list", name="Search results").get_by_role("button", name=writer.username).click()
    expect(page.locator("#profile-name")).to_have_text(writer.username)
    expect(page.get_by_role("list", name="Their posts")).to_contain_text("<b>bold?</b> a first post")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.locator("#profile-counts")).to_have_text("1 follower · 0 following")
    expect(page.get_by_role("list", name="Feed")).to_contain_text("<b>bold?</b> a first post")
    screenshot(page, "people")

    page.get_by_label("Post", exact=True).fill("hello from ada")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Posted.")
    assert writer.get(f"/users/{ada.id}/posts").json()["posts"][0]["content"] == "hello from ada"
    feed = page.get_by_role("list", name="Feed").locator("li")
    expect(feed.first).to_contain_text("hello from ada")  # your own post, newest first, in your feed

    page.get_by_role("button", name="Unfollow", exact=True).click()
    expect(page.locator("#profile-counts")).to_have_text("0 followers · 0 following")
    expect(feed).to_have_count(1)  # only your own now
    expect(feed).to_contain_text("hello from ada")


def test_a_profile_knows_you_follow_it_past_its_first_hundred_followers(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    popular = Person(base_url, username=f"popular_{tag}").register()
    for _ in range(100):
        fan = Person(base_url).register().login()
        assert fan.post(f"/users/follow?toFollowId={popular.id}").status_code == 200
    ada = Person(base_url, username=f"ada_{tag}").register().login()
    assert ada.post(f"/users/follow?toFollowId={popular.id}").status_code == 200  # the 101st
    page = page_at()
    log_in(page, ada)
    page.get_by_role("button", name="People", exact=True).click()
    page.get_by_label("Search people").fill(popular.username)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("list", name="Search results").get_by_role("button", name=popular.username).click()
    expect(page.locator("#profile-counts")).to_have_text("101 followers · 0 following")
    expect(page.get_by_role("button", name="Unfollow", exact=True)).to_be_visible()


def test_a_profile_has_an_address_kept_on_reload_with_back_and_forward(page_at, base_url):
    tag = uuid.uuid4().hex[:6]
    ada = Person(base_url, username=f"ada_{tag}").register().login()
    bob, cy = (Person(base_url, username=f"{name}_{tag}").register() for name in ("bob", "cy"))
    room_id = ada.create_room(name=f"Before {tag}")
    page = page_at()
    log_in(page, ada)
    page.goto(f"/#/rooms/{room_id}")
    expect(page.locator("#room-name")).to_have_text(f"Before {tag}")
    page.get_by_role("button", name="People", exact=True).click()
    for person in (bob, cy):
        page.get_by_label("Search people").fill(person.username)
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_role("list", name="Search results").get_by_role("button", name=person.username).click()
        expect(page.locator("#profile-name")).to_have_text(person.username)
        expect(page).to_have_url(re.compile(f"#/people/{person.id}$"))
    page.reload()
    expect(page.locator("#profile-name")).to_have_text(cy.username)
    page.go_back()
    expect(page.locator("#profile-name")).to_have_text(bob.username)
    page.go_forward()
    expect(page.locator("#profile-name")).to_have_text(cy.username)
    page.get_by_role("button", name="Chat", exact=True).click()
    page.reload()  # the chat, not the profile left behind
    expect(page.get_by_role("region", name="Rooms")).to_be_visible()
    expect(page.locator("#profile")).to_be_hidden()
