"""Every user_service route that changes something, against who is asking."""
import pytest
import requests

WRITES = [("POST", "/users/follow?toFollowId=1"), ("POST", "/users/unfollow?toUnfollowId=1"),
          ("DELETE", "/users/delete"), ("POST", "/users/posts")]


@pytest.mark.parametrize("method, path", WRITES)
def test_without_a_token_is_401_and_changes_nothing(base_url, method, path):
    response = requests.request(method, f"{base_url}{path}", json={"content": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


@pytest.mark.parametrize("method, path", WRITES)
def test_with_a_revoked_token_is_401(new_person, method, path):
    person = new_person().register().login()
    assert person.post("/auth/logout").status_code == 202
    response = person.request(method, path, json={"content": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    assert person.login().get("/auth/me").status_code == 200  # the account itself is untouched


def test_the_banner_needs_no_token(base_url):
    assert requests.get(f"{base_url}/users/").json() == {"service": "user_service", "status": "ok"}
