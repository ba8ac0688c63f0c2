"""Read state: each member's mark of the last seq they read, set over HTTP or by a frame, only ever
forward; getRooms counts the messages of others after it."""

import pytest

from ws_service.storage import UNREAD_CAP


@pytest.fixture
def room_with_news(person, new_person):
    """A room of `person`'s where a friend has written three messages and `person` one."""
    friend = new_person().register().login()
    room = person.create_room()
    friend.post(f"/ws/rooms/{room}/members")
    for i in range(3):
        assert friend.post(f"/ws/rooms/{room}/messages", json={"content": f"news {i}"}).status_code == 201
    assert person.post(f"/ws/rooms/{room}/messages", json={"content": "mine"}).status_code == 201
    return room, friend


def read_state(person, room):
    listed = {r["id"]: r for r in person.get("/ws/getRooms").json()["rooms"]}[room]
    return listed["unread"], listed["last_read_seq"]


def test_unread_counts_the_messages_of_others_after_the_mark(person, room_with_news):
    room, friend = room_with_news
    assert read_state(person, room) == (3, 0)
    assert read_state(friend, room) == (1, 0)
    assert person.post(f"/ws/rooms/{room}/read", json={"seq": 2}).status_code == 204
    assert read_state(person, room) == (1, 2)


def test_the_mark_never_moves_backwards_nor_past_the_last_seq(person, room_with_news):
    room, _ = room_with_news
    person.post(f"/ws/rooms/{room}/read", json={"seq": 3})
    person.post(f"/ws/rooms/{room}/read", json={"seq": 1})
    assert read_state(person, room) == (0, 3)
    person.post(f"/ws/rooms/{room}/read", json={"seq": 10**12})
    assert read_state(person, room) == (0, 4)


def test_a_read_frame_moves_the_mark_as_the_http_call_does(person, room_with_news):
    room, _ = room_with_news
    socket = person.connect(room)
    socket.send(type="read", seq=3)
    socket.send(type="send", content="after reading", client_id="r1")
    socket.stored_events(1)  # frames are handled in order: the read is done
    assert read_state(person, room) == (0, 3)


def test_a_deleted_message_is_no_longer_unread(person, room_with_news):
    room, friend = room_with_news
    first = friend.get(f"/ws/rooms/{room}/messages").json()["events"][0]
    socket = friend.connect(room)
    socket.send(type="delete", id=first["id"])
    socket.stored_events(1)
    assert read_state(person, room)[0] == 2


@pytest.mark.parametrize(
    "body, code",
    [({}, "missing_field"), ({"seq": "3"}, "wrong_type"), ({"seq": -1}, "wrong_type"), ({"seq": True}, "wrong_type")],
)
def test_a_bad_mark_is_400(person, room_with_news, body, code):
    room, _ = room_with_news
    response = person.post(f"/ws/rooms/{room}/read", json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)


def test_only_a_member_has_a_mark(person, new_person):
    room = person.create_room()
    outsider = new_person().register().login()
    assert outsider.post(f"/ws/rooms/{room}/read", json={"seq": 0}).status_code == 403
    private = person.create_room(private=True)
    assert outsider.post(f"/ws/rooms/{private}/read", json={"seq": 0}).status_code == 404
    assert outsider.all_rooms()[room]["unread"] == 0


def test_unread_is_counted_up_to_its_cap(person, new_person, db_cursor):
    friend = new_person().register().login()
    room = person.create_room()
    friend.post(f"/ws/rooms/{room}/members")
    # More messages than the cap, written straight into the tables: sending them one by one would
    # only make the test slow.
    db_cursor.execute(
        """
        WITH written AS (
            INSERT INTO messages (room_id, user_id, content)
            SELECT %(room)s, %(friend)s, 'm' || n FROM generate_series(1, %(count)s) AS n
            RETURNING id
        )
        INSERT INTO room_events (room_id, seq, kind, message_id)
        SELECT %(room)s, row_number() OVER (ORDER BY id), 'message', id FROM written
        """,
        {"room": room, "friend": friend.id, "count": UNREAD_CAP + 5},
    )
    db_cursor.execute("UPDATE rooms SET last_seq = %s WHERE id = %s", (UNREAD_CAP + 5, room))
    assert read_state(person, room) == (UNREAD_CAP, 0)
    person.post(f"/ws/rooms/{room}/read", json={"seq": 5})
    assert read_state(person, room) == (UNREAD_CAP, 5)  # exactly the cap now, counted in full
    person.post(f"/ws/rooms/{room}/read", json={"seq": 100})
    assert read_state(person, room) == (UNREAD_CAP - 95, 100)
