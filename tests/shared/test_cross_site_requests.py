"""A page on another site, even one on the same host (another port), cannot make a logged-in
browser change anything: a change authenticated by the session cookie alone must come from one of
Parley's pages (Origin, else Referer), and a body must say it is JSON (issue 15, finding 4)."""

import pytest
import requests

from tests.conftest import Person

EVIL = "http://localhost:18092"  # same site as the server's 127.0.0.1 / localhost, another port


@pytest.fixture
def browser_session(base_url):
    """A logged-in browser: the session cookie, and no Authorization header."""
    person = Person(base_url).register().login()
    session = requests.Session()
    session.cookies.set("parley_token", person.token)
    return person, session


def own_posts(person):
    return person.get(f"/users/{person.id}/posts").json()["posts"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Referer": f"{EVIL}/attack.html"},
        {},  # neither: nothing says it was one of our pages
    ],
    ids=["foreign-origin", "null-origin", "foreign-referer", "no-origin"],
)
def test_a_cookie_authenticated_change_from_elsewhere_is_refused_and_changes_nothing(
    browser_session, base_url, headers
):
    person, session = browser_session
    other = Person(base_url).register()
    attempts = [
        session.post(f"{base_url}/users/posts", json={"content": "made you post"}, headers=headers),
        session.post(f"{base_url}/users/follow?toFollowId={other.id}", headers=headers),
        session.post(f"{base_url}/ws/createRoom", json={"name": "made you create"}, headers=headers),
        session.post(f"{base_url}/auth/logout", headers=headers),
    ]
    assert [a.status_code for a in attempts] == [403] * 4
    assert {a.json()["error"]["code"] for a in attempts} == {"cross_site_request"}
    assert own_posts(person) == []
    assert person.get(f"/users/{person.id}").json()["following"] == 0
    assert person.get("/auth/me").status_code == 200  # still logged in


@pytest.mark.parametrize("headers_of", [lambda url: {"Origin": url}, lambda url: {"Referer": f"{url}/"}])
def test_our_own_pages_change_things_with_the_cookie(browser_session, base_url, headers_of):
    person, session = browser_session
    made = session.post(f"{base_url}/users/posts", json={"content": "mine"}, headers=headers_of(base_url))
    assert made.status_code == 201
    assert [p["content"] for p in own_posts(person)] == ["mine"]


def test_reads_with_the_cookie_need_no_origin(browser_session, base_url):
    _person, session = browser_session
    assert session.get(f"{base_url}/auth/me", headers={"Origin": EVIL}).status_code == 200


def test_the_bearer_token_path_is_unchanged(base_url):
    person = Person(base_url).register().login()
    made = person.post("/users/posts", json={"content": "by token"}, headers={"Origin": EVIL})
    assert made.status_code == 201


def test_a_form_body_is_415_even_with_our_origin_and_creates_nothing(browser_session, base_url):
    """What an auto-submitting form sends: text/plain, shaped to parse as JSON."""
    person, session = browser_session
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        refused = session.post(
            f"{base_url}/users/posts",
            data='{"content": "made you post", "x": "="}',
            headers={"Origin": base_url, **({"Content-Type": content_type} if content_type else {})},
        )
        assert refused.status_code == 415
        assert refused.json()["error"]["code"] == "unsupported_media_type"
    assert own_posts(person) == []
    assert person.post("/users/posts", data="{}", headers={"Content-Type": "text/plain"}).status_code == 415
