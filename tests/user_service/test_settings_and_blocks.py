"""A user's DM setting and their blocks: user_service keeps them, ws_service reads them."""

import pytest


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "missing_field"),
        ({"dms_from": "friends"}, "invalid_choice"),
        ({"dms_from": 1}, "invalid_choice"),
        ({"dms_from": ["everyone"]}, "invalid_choice"),
    ],
)
def test_a_bad_setting_is_400_and_changes_nothing(person, body, code):
    response = person.request("PATCH", "/users/me/settings", json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert person.request("PATCH", "/users/me/settings", json={"dms_from": "everyone"}).status_code == 200


def test_settings_start_open_and_list_whom_you_block(person, new_person):
    assert person.get("/users/me/settings").json() == {"dms_from": "everyone", "blocked": []}
    other = new_person().register()
    person.post(f"/users/block?userId={other.id}")
    assert person.request("PATCH", "/users/me/settings", json={"dms_from": "following"}).json() == {
        "dms_from": "following",
        "blocked": [{"id": other.id, "username": other.username}],
    }
    assert person.get("/users/me/settings").json()["dms_from"] == "following"


def test_blocking_is_idempotent_and_refuses_yourself_and_no_one(person, new_person):
    other = new_person().register()
    for _ in range(2):
        assert person.post(f"/users/block?userId={other.id}").json() == {"user_id": other.id, "blocked": True}
    assert person.get("/users/me/settings").json()["blocked"] == [{"id": other.id, "username": other.username}]
    for _ in range(2):
        assert person.post(f"/users/unblock?userId={other.id}").json() == {"user_id": other.id, "blocked": False}
    yourself = person.post(f"/users/block?userId={person.id}")
    assert (yourself.status_code, yourself.json()["error"]["code"]) == (422, "cannot_block_yourself")
    for verb in ("block", "unblock"):
        missing = person.post(f"/users/{verb}?userId=999999999")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "user_not_found")
    assert person.post("/users/block").json()["error"]["code"] == "missing_parameter"
