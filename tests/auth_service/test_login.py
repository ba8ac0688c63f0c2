"""Logging in and asking who I am."""

import requests


def test_login_returns_a_bearer_token_and_sets_the_cookie(new_person):
    person = new_person().register()
    response = requests.post(
        f"{person.base_url}/auth/login", json={"username": person.username, "password": person.password}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"parley_token={body['access_token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie


def test_login_ignores_the_case_of_the_username(new_person):
    person = new_person().register()
    person.username = person.username.upper()
    assert person.login().get("/auth/me").json()["id"] == person.id


def test_me_answers_with_the_bearer_token(person):
    response = person.get("/auth/me")
    assert response.status_code == 200
    assert response.json()["id"] == person.id
    assert response.json()["username"] == person.username
    assert set(response.json()) == {"id", "username", "created_at"}


def test_me_answers_with_the_cookie_alone(new_person):
    person = new_person().register()
    session = requests.Session()
    session.post(f"{person.base_url}/auth/login", json={"username": person.username, "password": person.password})
    response = session.get(f"{person.base_url}/auth/me")
    assert response.status_code == 200
    assert response.json()["id"] == person.id


def test_wrong_password_and_unknown_user_get_the_same_401(new_person):
    person = new_person().register()
    wrong_password = requests.post(
        f"{person.base_url}/auth/login", json={"username": person.username, "password": "not the password"}
    )
    unknown_user = requests.post(
        f"{person.base_url}/auth/login",
        json={"username": "nobody_" + person.username[:20], "password": "not the password"},
    )
    impossible_name = requests.post(
        f"{person.base_url}/auth/login", json={"username": "no such name!", "password": "not the password"}
    )
    assert wrong_password.status_code == unknown_user.status_code == impossible_name.status_code == 401
    assert wrong_password.json() == unknown_user.json() == impossible_name.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"
    assert "Set-Cookie" not in wrong_password.headers


def test_no_answer_carries_the_password_or_its_hash(new_person):
    person = new_person(password="visible-if-leaked")
    register = requests.post(
        f"{person.base_url}/auth/register", json={"username": person.username, "password": person.password}
    )
    login = requests.post(
        f"{person.base_url}/auth/login", json={"username": person.username, "password": person.password}
    )
    person.token = login.json()["access_token"]
    for response in (register, login, person.get("/auth/me")):
        assert "$2b$" not in response.text
        assert "password" not in response.text
        assert person.password not in response.text


def test_me_without_a_token_is_401(base_url):
    response = requests.get(f"{base_url}/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_login_with_a_malformed_body_is_400(base_url):
    response = requests.post(f"{base_url}/auth/login", data="{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
