"""The user's own event stream, GET /ws/events: activity in every room they belong to, rooms added,
renamed and removed, and the end of their session; through both entry points."""

import pytest
import websocket


def next_frame_of(stream, frame_type, timeout=10):
    """The next frame of `frame_type`, past any other."""
    return stream.receive_until(lambda frame: frame["type"] == frame_type, timeout=timeout)[-1]


def send(person, room, content):
    response = person.post(f"/ws/rooms/{room}/messages", json={"content": content})
    assert response.status_code == 201, response.text
    return response.json()


def listed(person, room):
    return person.all_rooms()[room]


def test_hello_names_the_user(person):
    stream = person.events()
    assert stream.hello == {"type": "hello", "user": {"id": person.id, "username": person.username}}


def test_a_message_in_any_room_of_yours_is_activity_and_in_other_rooms_nothing(person, new_person):
    bob = new_person().register().login()
    rooms = [person.create_room() for _ in range(3)]
    for room in rooms:
        assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    elsewhere = bob.create_room()
    stream = person.events()

    send(bob, elsewhere, "not in a room of yours")
    sent = send(bob, rooms[2], "hello there")
    assert stream.receive() == {
        "type": "activity",
        "room_id": rooms[2],
        "seq": sent["seq"],
        "kind": "message",
        "from": {"id": bob.id, "username": bob.username},
        "mention": False,
    }
    mentioning = send(bob, rooms[0], f"look, @{person.username.upper()}: this one")
    frame = stream.receive()
    assert (frame["room_id"], frame["seq"], frame["mention"]) == (rooms[0], mentioning["seq"], True)
    # A name that only begins like theirs is not them.
    send(bob, rooms[1], f"@{person.username}x is someone else")
    assert stream.receive()["mention"] is False


def test_your_own_messages_edits_and_deletes_are_activity_from_whoever_made_them(person, new_person):
    bob = new_person().register().login()
    room = person.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    stream = person.events()
    mine = send(person, room, f"note to self, @{person.username}")
    first = stream.receive()
    assert (first["kind"], first["from"]["id"], first["mention"]) == ("message", person.id, False)

    theirs = send(bob, room, "draft")
    assert stream.receive()["seq"] == theirs["seq"]
    socket = bob.connect(room)
    socket.send(type="edit", id=theirs["id"], content="final")
    edited = stream.receive()
    assert edited == {
        "type": "activity",
        "room_id": room,
        "seq": theirs["seq"] + 1,
        "kind": "message_edited",
        "from": {"id": bob.id, "username": bob.username},
        "mention": False,
    }
    # The owner deletes someone else's message: the activity is the owner's.
    owner_socket = person.connect(room)
    owner_socket.send(type="delete", id=theirs["id"])
    deleted = stream.receive()
    assert (deleted["kind"], deleted["from"]["id"]) == ("message_deleted", person.id)
    assert mine["seq"] < theirs["seq"] < deleted["seq"]


def test_rooms_created_joined_or_added_to_are_announced_as_getrooms_lists_them(person, new_person):
    bob = new_person().register().login()
    stream = person.events()

    created = person.create_room()
    added = next_frame_of(stream, "room_added")
    assert added["room"] == listed(person, created)
    assert set(added["room"]) == {
        "id",
        "name",
        "private",
        "kind",
        "members",
        "online",
        "unread",
        "last_read_seq",
        "last_seq",
    }

    public = bob.create_room()
    send(bob, public, "before you came")
    assert person.post(f"/ws/rooms/{public}/members").status_code == 200
    joined = next_frame_of(stream, "room_added")["room"]
    assert (joined["id"], joined["members"], joined["unread"], joined["last_read_seq"]) == (public, 2, 1, 0)

    private = bob.create_room(private=True)
    assert bob.post(f"/ws/rooms/{private}/members", json={"user_id": person.id}).status_code == 200
    invited = next_frame_of(stream, "room_added")["room"]
    assert (invited["id"], invited["private"]) == (private, True)
    # And the rooms announced are followed from then on.
    sent = send(bob, private, "welcome")
    activity = next_frame_of(stream, "activity")
    assert (activity["room_id"], activity["seq"]) == (private, sent["seq"])


def test_renamed_left_and_deleted_rooms(person, new_person):
    bob = new_person().register().login()
    room = person.create_room()
    other = bob.create_room()
    assert person.post(f"/ws/rooms/{other}/members").status_code == 200
    stream = person.events()

    assert person.request("PATCH", f"/ws/rooms/{room}", json={"name": f"renamed-{room}"}).status_code == 200
    updated = next_frame_of(stream, "room_updated")
    assert updated["room"] == listed(person, room)
    assert updated["room"]["name"] == f"renamed-{room}"

    assert person.request("DELETE", f"/ws/rooms/{other}/members/me").status_code == 204
    assert next_frame_of(stream, "room_removed") == {"type": "room_removed", "room_id": other}
    send(bob, other, "after you left")  # no longer yours: nothing comes of it
    assert person.request("DELETE", f"/ws/rooms/{room}").status_code == 204
    assert stream.receive() == {"type": "room_removed", "room_id": room}


def test_a_dm_is_announced_to_the_other_once_someone_writes_in_it(person, new_person):
    bob = new_person().register().login()
    stream = person.events()
    bobs_stream = bob.events()
    dm = bob.post(f"/ws/dm/{person.id}").json()["id"]
    assert next_frame_of(bobs_stream, "room_added")["room"]["kind"] == "dm"  # the opener's other tabs

    # Nothing for the other yet: the next frame they get is from a room created after.
    later = person.create_room()
    assert next_frame_of(stream, "room_added")["room"]["id"] == later

    send(bob, dm, "hi")
    announced = stream.receive()
    assert announced["type"] == "room_added"
    assert announced["room"] == listed(person, dm)
    assert (announced["room"]["kind"], announced["room"]["unread"]) == ("dm", 1)
    second = send(bob, dm, "are you there?")
    activity = stream.receive()
    assert (activity["type"], activity["room_id"], activity["seq"]) == ("activity", dm, second["seq"])


def test_logging_out_ends_the_stream_with_session_ended_then_1008(person):
    stream = person.events()
    assert person.post("/auth/logout").status_code == 202
    assert stream.receive() == {"type": "session_ended", "code": "token_revoked"}
    assert stream.close_code() == 1008


def test_the_stream_takes_no_frames_and_stays_open(person):
    stream = person.events()
    stream.ws.send("{}")
    assert stream.receive()["code"] == "unknown_type"
    room = person.create_room()
    assert next_frame_of(stream, "room_added")["room"]["id"] == room


@pytest.mark.parametrize(
    ("headers", "origin", "status"),
    [([], None, 401), (["Authorization: Bearer not-a-token"], None, 401), (None, "http://evil.example", 403)],
)
def test_the_upgrade_is_refused_without_a_valid_token_or_from_another_origin(person, headers, origin, status):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        person.events(headers=headers, origin=origin)
    assert refused.value.status_code == status


def test_a_plain_get_is_a_json_400(person):
    response = person.get("/ws/events")
    assert response.status_code == 400
    assert response.json()["error"]["code"]
