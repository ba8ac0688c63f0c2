"""Profiles by id and by username, and the user listing with prefix search."""

import uuid

import pytest
import requests


def test_a_profile_by_id_and_by_username_in_any_case(person, new_person):
    other = new_person(username=f"Mixed.Case-{uuid.uuid4().hex[:6]}").register()
    by_id = person.get(f"/users/{other.id}")
    assert by_id.status_code == 200
    assert set(by_id.json()) == {"id", "username", "created_at", "followers", "following"}
    assert by_id.json()["username"] == other.username
    by_name = person.get(f"/users/by-username/{other.username.lower()}")
    assert by_name.json() == by_id.json()


@pytest.mark.parametrize(
    "path",
    [
        "/users/999999999",
        "/users/by-username/nobody_here_at_all",
        "/users/by-username/no%20such",
        "/users/by-username/%00nul",
        "/users/99999999999999999999999",
        "/users/0",
        "/users/-1",
    ],
)
def test_unknown_profiles_are_404(person, path):
    response = person.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] in ("user_not_found", "not_found")


def test_the_listing_finds_names_by_prefix_in_any_case(person, new_person):
    tag = uuid.uuid4().hex[:6]
    found = [new_person(username=f"Pre_{tag}_{i}").register() for i in range(3)]
    new_person(username=f"Other_{tag}").register()
    response = person.get(f"/users/list?q=pre_{tag}")
    assert response.status_code == 200
    assert response.json() == {"users": [{"id": p.id, "username": p.username} for p in found], "next_after_id": None}


def test_underscore_and_dot_in_the_prefix_are_literal(person, new_person):
    tag = uuid.uuid4().hex[:6]
    literal = new_person(username=f"a_{tag}").register()
    new_person(username=f"ab{tag}").register()  # would match if _ were a LIKE wildcard
    assert [u["id"] for u in person.get(f"/users/list?q=a_{tag}").json()["users"]] == [literal.id]


def test_paging_neither_skips_nor_repeats_when_users_arrive_between_pages(person, new_person):
    tag = uuid.uuid4().hex[:6]
    everyone = [new_person(username=f"pg{tag}{i}").register() for i in range(5)]
    first = person.get(f"/users/list?q=pg{tag}&limit=2").json()
    everyone.append(new_person(username=f"pg{tag}late").register())
    seen = [u["id"] for u in first["users"]]
    cursor = first["next_after_id"]
    while cursor is not None:
        page = person.get(f"/users/list?q=pg{tag}&limit=2&after_id={cursor}").json()
        seen += [u["id"] for u in page["users"]]
        cursor = page["next_after_id"]
    assert seen == [p.id for p in everyone]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=ten", "after_id=-1", "after_id=x", "q=" + "a" * 33, "q=%25", "q=a%20b", "q=%00"],
)
def test_bad_listing_parameters_are_400(person, query):
    response = person.get(f"/users/list?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize(
    "path",
    [
        "/users/list",
        "/users/1",
        "/users/by-username/abc",
        "/users/1/followers",
        "/users/1/following",
        "/users/1/posts",
        "/users/feed",
    ],
)
def test_every_read_needs_a_token(base_url, path):
    response = requests.get(f"{base_url}{path}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
