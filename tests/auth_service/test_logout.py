"""Logging out ends the token at once, for every request that presents it afterwards."""

import requests


def test_logout_revokes_the_token(person):
    response = person.post("/auth/logout")
    assert response.status_code == 202
    assert response.json() == {"status": "logged_out"}
    after = person.get("/auth/me")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_revoked"


def test_logout_clears_the_cookie(new_person):
    person = new_person().register()
    session = requests.Session()
    session.post(f"{person.base_url}/auth/login", json={"username": person.username, "password": person.password})
    token = session.cookies["parley_token"]
    response = session.post(f"{person.base_url}/auth/logout", headers={"Origin": person.base_url})  # as the page does
    assert response.status_code == 202
    assert "parley_token" not in session.cookies
    # The browser forgot it, and the server refuses it even if someone kept a copy.
    replay = requests.get(f"{person.base_url}/auth/me", cookies={"parley_token": token})
    assert replay.status_code == 401


def test_logout_ends_only_that_session(new_person):
    person = new_person().register()
    laptop = type(person)(person.base_url, person.username, person.password).login()
    phone = type(person)(person.base_url, person.username, person.password).login()
    assert laptop.post("/auth/logout").status_code == 202
    assert laptop.get("/auth/me").status_code == 401
    assert phone.get("/auth/me").status_code == 200


def test_logging_out_twice_is_401_the_second_time(person):
    assert person.post("/auth/logout").status_code == 202
    second = person.post("/auth/logout")
    assert second.status_code == 401
    assert second.json()["error"]["code"] == "token_revoked"


def test_logout_without_a_token_is_401(base_url):
    response = requests.post(f"{base_url}/auth/logout")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
