"""Rooms over HTTP: create, list, members, rename, delete, and who may do what."""

import uuid

import pytest
import requests


def test_create_a_room(person):
    name = f"Lobby {uuid.uuid4().hex[:6]}"
    response = person.post("/ws/createRoom", json={"name": f"  {name} "})
    assert response.status_code == 200
    room = response.json()
    assert set(room) == {"id", "name", "private", "owner_id", "created_at", "kind"}
    assert (room["name"], room["private"], room["owner_id"], room["kind"]) == (name, False, person.id, "room")


def test_a_room_name_is_taken_whatever_its_case(person, new_person):
    name = f"Cafe-{uuid.uuid4().hex[:6]}"
    person.create_room(name=name)
    other = new_person().register().login()
    response = other.post("/ws/createRoom", json={"name": name.upper()})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "room_name_taken"


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "missing_field"),
        ({"name": ""}, "too_short"),
        ({"name": "   "}, "too_short"),
        ({"name": "x" * 65}, "too_long"),
        # 65 as sent, 64 once trimmed: the document's maxLength counts what was sent (schemathesis found it).
        ({"name": "\u001e" + "*" * 64}, "too_long"),
        ({"name": 7}, "wrong_type"),
        ({"name": "ok", "private": "yes"}, "wrong_type"),
        ({"name": "nul\u0000"}, "invalid_text"),
    ],
)
def test_bad_room_bodies_are_400(person, db_cursor, body, code):
    db_cursor.execute("SELECT count(*) FROM rooms")
    before = db_cursor.fetchone()[0]
    response = person.post("/ws/createRoom", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    db_cursor.execute("SELECT count(*) FROM rooms")
    assert db_cursor.fetchone()[0] == before


def test_get_rooms_lists_public_rooms_and_your_private_ones(person, new_person):
    outsider = new_person().register().login()
    public = person.create_room()
    private = person.create_room(private=True)
    mine = {room["id"]: room for room in person.get("/ws/getRooms").json()["rooms"]}
    theirs = set(outsider.all_rooms())  # every page: the suite's database holds many public rooms
    assert {public, private} <= set(mine)
    assert public in theirs and private not in theirs
    assert mine[private]["private"] is True
    assert mine[public]["members"] == 1
    assert mine[public]["online"] == 0


def test_a_private_room_is_404_to_everyone_else(person, new_person):
    outsider = new_person().register().login()
    room = person.create_room(private=True)
    for method, path in [
        ("GET", f"/ws/getClients/{room}"),
        ("POST", f"/ws/rooms/{room}/members"),
        ("GET", f"/ws/rooms/{room}/messages"),
        ("POST", f"/ws/rooms/{room}/messages"),
        ("PATCH", f"/ws/rooms/{room}"),
        ("DELETE", f"/ws/rooms/{room}"),
        ("DELETE", f"/ws/rooms/{room}/members/me"),
    ]:
        response = outsider.request(method, path, json={"content": "hi", "name": "mine now"})
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "room_not_found"


def test_joining_and_leaving_a_public_room(person, new_person):
    guest = new_person().register().login()
    room = person.create_room()
    assert guest.post(f"/ws/rooms/{room}/messages", json={"content": "hi"}).status_code == 403
    assert guest.post(f"/ws/rooms/{room}/members").status_code == 200
    assert guest.post(f"/ws/rooms/{room}/members").status_code == 200  # joining twice is still a member
    assert guest.post(f"/ws/rooms/{room}/messages", json={"content": "hi"}).status_code == 201
    assert guest.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    again = guest.request("DELETE", f"/ws/rooms/{room}/members/me")
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "not_a_member"


def test_the_owner_adds_people_to_a_private_room(person, new_person):
    friend, stranger = (new_person().register().login() for _ in range(2))
    room = person.create_room(private=True)
    assert friend.post(f"/ws/rooms/{room}/members").status_code == 404
    assert person.post(f"/ws/rooms/{room}/members", json={"user_id": friend.id}).status_code == 200
    assert room in {r["id"] for r in friend.get("/ws/getRooms").json()["rooms"]}
    # A member who is not the owner cannot invite.
    response = friend.post(f"/ws/rooms/{room}/members", json={"user_id": stranger.id})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_the_owner"
    unknown = person.post(f"/ws/rooms/{room}/members", json={"user_id": 999999999})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "user_not_found"
    assert person.post(f"/ws/rooms/{room}/members", json={"user_id": "two"}).status_code == 400


def test_only_the_owner_renames_and_deletes(person, new_person):
    member = new_person().register().login()
    room = person.create_room()
    member.post(f"/ws/rooms/{room}/members")
    assert member.request("PATCH", f"/ws/rooms/{room}", json={"name": "taken over"}).status_code == 403
    assert member.request("DELETE", f"/ws/rooms/{room}").status_code == 403
    new_name = f"renamed-{uuid.uuid4().hex[:6]}"
    renamed = person.request("PATCH", f"/ws/rooms/{room}", json={"name": new_name})
    assert renamed.status_code == 200 and renamed.json()["name"] == new_name
    assert person.request("DELETE", f"/ws/rooms/{room}").status_code == 204
    assert person.get(f"/ws/rooms/{room}/messages").status_code == 404


def test_deleting_a_room_closes_its_sockets_with_1000(person, new_person):
    member = new_person().register().login()
    room = person.create_room()
    socket = member.connect(room)
    assert person.request("DELETE", f"/ws/rooms/{room}").status_code == 204
    assert socket.close_code() == 1000


def test_leaving_closes_your_sockets_in_the_room(person):
    room = person.create_room()
    socket = person.connect(room)
    assert person.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    assert socket.close_code() == 1000


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/ws/createRoom"),
        ("GET", "/ws/getRooms"),
        ("GET", "/ws/getClients/1"),
        ("POST", "/ws/rooms/1/members"),
        ("DELETE", "/ws/rooms/1/members/me"),
        ("PATCH", "/ws/rooms/1"),
        ("DELETE", "/ws/rooms/1"),
        ("GET", "/ws/rooms/1/messages"),
        ("POST", "/ws/rooms/1/messages"),
    ],
)
def test_every_room_route_needs_a_token(ws_base_url, method, path):
    response = requests.request(method, f"{ws_base_url}{path}", json={})
    assert response.status_code == 401
