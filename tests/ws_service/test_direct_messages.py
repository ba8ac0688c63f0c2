"""Direct messages: POST /ws/dm/{userId} opens the one private room of two people, which then works
as any room; the other's DM setting and a block either way decide who may open or write in it."""

import pytest

from tests.conftest import SocketClosed


@pytest.fixture
def ada_and_bob(new_person):
    return new_person().register().login(), new_person().register().login()


def open_dm(person, other):
    return person.post(f"/ws/dm/{other.id}")


def test_a_dm_is_one_private_room_for_the_pair_whoever_opens_it(ada_and_bob, new_person):
    ada, bob = ada_and_bob
    opened = open_dm(ada, bob)
    assert opened.status_code == 200
    room = opened.json()
    assert (room["kind"], room["private"], room["owner_id"]) == ("dm", True, None)
    assert ada.username in room["name"] and bob.username in room["name"]
    assert open_dm(ada, bob).json()["id"] == room["id"]
    assert open_dm(bob, ada).json()["id"] == room["id"]
    for person in (ada, bob):
        listed = {r["id"]: r for r in person.get("/ws/getRooms").json()["rooms"]}
        assert listed[room["id"]]["kind"] == "dm" and listed[room["id"]]["members"] == 2
    stranger = new_person().register().login()
    assert stranger.get(f"/ws/rooms/{room['id']}/messages").status_code == 404
    assert room["id"] not in [r["id"] for r in stranger.get("/ws/getRooms").json()["rooms"]]


def test_a_dm_carries_messages_both_ways_over_the_socket(ada_and_bob):
    ada, bob = ada_and_bob
    room = open_dm(ada, bob).json()["id"]
    ada_socket, bob_socket = ada.connect(room), bob.connect(room)
    ada_socket.send(type="send", content="hello bob", client_id="a1")
    assert bob_socket.stored_events(1)[0]["content"] == "hello bob"
    bob_socket.send(type="send", content="hello ada", client_id="b1")
    assert [e["content"] for e in ada_socket.stored_events(2)] == ["hello bob", "hello ada"]


def test_no_one_renames_deletes_or_joins_a_third_person_to_a_dm(ada_and_bob, new_person):
    ada, bob = ada_and_bob
    room = open_dm(ada, bob).json()["id"]
    third = new_person().register()
    assert ada.request("PATCH", f"/ws/rooms/{room}", json={"name": "ours"}).status_code == 403
    assert ada.request("DELETE", f"/ws/rooms/{room}").status_code == 403
    assert ada.post(f"/ws/rooms/{room}/members", json={"user_id": third.id}).status_code == 403


def test_a_dm_with_yourself_or_no_one_is_refused(ada_and_bob):
    ada, _ = ada_and_bob
    yourself = ada.post(f"/ws/dm/{ada.id}")
    assert (yourself.status_code, yourself.json()["error"]["code"]) == (422, "cannot_dm_yourself")
    no_one = ada.post("/ws/dm/999999999")
    assert (no_one.status_code, no_one.json()["error"]["code"]) == (404, "user_not_found")


def test_someone_who_takes_dms_from_people_they_follow_refuses_the_others(ada_and_bob):
    ada, bob = ada_and_bob
    assert bob.request("PATCH", "/users/me/settings", json={"dms_from": "following"}).json() == {
        "dms_from": "following",
        "blocked": [],
    }
    refused = open_dm(ada, bob)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "dms_refused")
    assert bob.post(f"/users/follow?toFollowId={ada.id}").status_code == 200
    assert open_dm(ada, bob).status_code == 200


def test_a_block_stops_the_dm_at_once_both_ways_and_an_unblock_lifts_it(ada_and_bob):
    ada, bob = ada_and_bob
    room = open_dm(ada, bob).json()["id"]
    ada_socket = ada.connect(room)
    assert ada.post(f"/ws/rooms/{room}/messages", json={"content": "before"}).status_code == 201
    assert bob.post(f"/users/block?userId={ada.id}").json() == {"user_id": ada.id, "blocked": True}

    for sender in (ada, bob):
        refused = sender.post(f"/ws/rooms/{room}/messages", json={"content": "after the block"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "blocked")
    ada_socket.send(type="send", content="over the socket", client_id="blocked-1")
    error = ada_socket.receive_until(lambda frame: frame["type"] == "error")[-1]
    assert (error["code"], error["ref"]) == ("blocked", "blocked-1")
    assert (open_dm(ada, bob).status_code, open_dm(bob, ada).status_code) == (403, 403)
    contents = [e["content"] for e in ada.get(f"/ws/rooms/{room}/messages").json()["events"]]
    assert contents == ["before"]

    assert bob.post(f"/users/unblock?userId={ada.id}").json() == {"user_id": ada.id, "blocked": False}
    assert ada.post(f"/ws/rooms/{room}/messages", json={"content": "again"}).status_code == 201


def test_leaving_a_dm_and_opening_it_again_puts_you_back(ada_and_bob):
    ada, bob = ada_and_bob
    room = open_dm(ada, bob).json()["id"]
    socket = bob.connect(room)
    assert bob.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    with pytest.raises(SocketClosed):
        while True:
            socket.receive()
    assert bob.get(f"/ws/rooms/{room}/messages").status_code == 404
    assert open_dm(bob, ada).json()["id"] == room
    assert bob.get(f"/ws/rooms/{room}/messages").status_code == 200
