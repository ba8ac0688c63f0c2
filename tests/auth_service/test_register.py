"""Registering an account over real HTTP through the all-in-one process."""

import re
import uuid

import pytest
import requests


def count_users(cursor):
    cursor.execute("SELECT count(*) FROM users")
    return cursor.fetchone()[0]


def test_register_returns_the_new_account(base_url):
    name = f"Ada_{uuid.uuid4().hex[:8]}"
    response = requests.post(f"{base_url}/auth/register", json={"username": name, "password": "s3cret-enough"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"id", "username", "created_at"}
    assert isinstance(body["id"], int)
    assert body["username"] == name
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["created_at"])


@pytest.mark.parametrize("variant", [str.upper, str.lower, str.swapcase])
def test_a_username_is_taken_whatever_its_case(new_person, variant):
    first = new_person(username=f"Grace.{uuid.uuid4().hex[:6]}").register()
    response = requests.post(
        f"{first.base_url}/auth/register", json={"username": variant(first.username), "password": "another-pass"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


BAD_BODIES = [
    pytest.param(b"not json", "invalid_json", id="not-json"),
    pytest.param(b'{"username": "abc", "password": ', "invalid_json", id="truncated-json"),
    pytest.param(b"\xff\xfe\x00garbage", "invalid_json", id="not-utf8"),
    pytest.param(b"[" * 20000 + b"]" * 20000, "invalid_json", id="absurd-nesting"),
    pytest.param(b'["username", "password"]', "invalid_json", id="array"),
    pytest.param(b'"a string"', "invalid_json", id="string"),
    pytest.param(b"null", "invalid_json", id="null"),
    pytest.param(b"", "invalid_json", id="empty"),
    pytest.param(b'{"password": "long enough"}', "missing_field", id="no-username"),
    pytest.param(b'{"username": "someone"}', "missing_field", id="no-password"),
    pytest.param(b'{"username": null, "password": "long enough"}', "missing_field", id="null-username"),
    pytest.param(b'{"username": 12345, "password": "long enough"}', "wrong_type", id="number-username"),
    pytest.param(b'{"username": ["abc"], "password": "long enough"}', "wrong_type", id="list-username"),
    pytest.param(b'{"username": "someone", "password": 12345678}', "wrong_type", id="number-password"),
    pytest.param(b'{"username": "someone", "password": true}', "wrong_type", id="bool-password"),
    pytest.param(b'{"username": "ab", "password": "long enough"}', "too_short", id="short-username"),
    pytest.param(b'{"username": "' + b"a" * 33 + b'", "password": "long enough"}', "too_long", id="long-username"),
    pytest.param(b'{"username": "someone", "password": "short"}', "too_short", id="short-password"),
    pytest.param(b'{"username": "someone", "password": "' + b"p" * 129 + b'"}', "too_long", id="long-password"),
    pytest.param('{"username": "zoë_name", "password": "long enough"}'.encode(), "invalid_username", id="accented"),
    pytest.param(
        '{"username": "ｆｕｌｌｗｉｄｔｈ", "password": "long enough"}'.encode(), "invalid_username", id="fullwidth"
    ),
    pytest.param(
        '{"username": "abc\u200bdef", "password": "long enough"}'.encode(), "invalid_username", id="zero-width"
    ),
    pytest.param(b'{"username": "has space", "password": "long enough"}', "invalid_username", id="space"),
    pytest.param(b'{"username": "name\\n", "password": "long enough"}', "invalid_username", id="trailing-newline"),
    pytest.param(
        b'{"username": "x\'; DROP TABLE users; --", "password": "long enough"}', "invalid_username", id="sql-injection"
    ),
    pytest.param(b'{"username": "nul\\u0000name", "password": "long enough"}', "invalid_text", id="nul-username"),
    pytest.param(b'{"username": "someone", "password": "pass\\ud800word"}', "invalid_text", id="lone-surrogate"),
    pytest.param(b'{"username": "someone", "password": "pass\\u0000word"}', "invalid_text", id="nul-password"),
]


@pytest.mark.parametrize("body, code", BAD_BODIES)
def test_a_bad_body_gets_its_400_and_stores_nothing(base_url, db_cursor, body, code):
    before = count_users(db_cursor)
    response = requests.post(f"{base_url}/auth/register", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert count_users(db_cursor) == before


def test_sql_metacharacters_in_the_password_are_only_data(new_person):
    person = new_person(password="'; DROP TABLE users; --").register().login()
    assert person.get("/auth/me").json()["username"] == person.username


def test_a_body_over_the_limit_gets_413(base_url, db_cursor):
    before = count_users(db_cursor)
    response = requests.post(f"{base_url}/auth/register", json={"username": "biggy", "password": "x" * (128 * 1024)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert count_users(db_cursor) == before


def test_register_refuses_other_methods_with_the_envelope(base_url):
    response = requests.get(f"{base_url}/auth/register")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
