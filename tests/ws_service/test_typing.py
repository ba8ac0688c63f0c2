"""Typing frames: relayed to the room's other people as ephemeral `typing` events (no seq, never
stored), at most once per TYPING_INTERVAL_SECONDS from a socket."""

import time

from ws_service.sockets import TYPING_INTERVAL_SECONDS


def frames_before_marker(socket, marker):
    return socket.receive_until(lambda frame: frame.get("content") == marker)[:-1]


def test_typing_reaches_the_others_once_per_interval_and_is_never_stored(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    mine, my_other_tab, theirs = person.connect(room), person.connect(room), friend.connect(room)
    for _ in range(3):
        mine.send(type="typing")
    mine.send(type="send", content="marker", client_id="m1")

    typing = [f for f in frames_before_marker(theirs, "marker") if f["type"] == "typing"]
    assert typing == [{"type": "typing", "room_id": room, "user": {"id": person.id, "username": person.username}}]
    assert not [f for f in frames_before_marker(my_other_tab, "marker") if f["type"] == "typing"]
    assert not [f for f in frames_before_marker(mine, "marker") if f["type"] == "typing"]
    assert [e["type"] for e in person.get(f"/ws/rooms/{room}/messages").json()["events"]] == ["message"]


def test_typing_again_after_the_interval_is_relayed_again(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    mine, theirs = person.connect(room), friend.connect(room)
    mine.send(type="typing")
    assert theirs.receive_until(lambda f: f["type"] == "typing")
    time.sleep(TYPING_INTERVAL_SECONDS + 0.1)
    mine.send(type="typing")
    assert theirs.receive_until(lambda f: f["type"] == "typing")[-1]["user"]["id"] == person.id
