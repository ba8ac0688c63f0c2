"""The WebSocket's handshake checks, its hello, and presence."""

import pytest
import websocket

from tests.conftest import Person, RoomSocket


def handshake_status(person, room_id, headers, query="", **options):
    url = person.ws_base_url.replace("http://", "ws://") + f"/ws/joinRoom/{room_id}{query}"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, header=headers, timeout=10, **options)
    return refused.value.status_code


def test_hello_comes_first_with_the_room_state(person):
    room = person.create_room()
    person.post(f"/ws/rooms/{room}/messages", json={"content": "before"})
    socket = person.connect(room)
    assert socket.hello == {
        "type": "hello",
        "room_id": room,
        "user": {"id": person.id, "username": person.username},
        "last_seq": 1,
        "clients": [{"id": person.id, "username": person.username}],
    }


def test_a_refused_upgrade_gets_its_status_before_any_socket(person, new_person, config):
    room = person.create_room()
    private = person.create_room(private=True)
    assert handshake_status(person, room, []) == 401
    assert handshake_status(person, room, ["Authorization: Bearer not-a-token"]) == 401
    assert handshake_status(person, 999999999, [f"Authorization: Bearer {person.token}"]) == 404
    outsider = new_person().register().login()
    assert handshake_status(outsider, private, [f"Authorization: Bearer {outsider.token}"]) == 404
    assert (
        handshake_status(person, room, [f"Authorization: Bearer {person.token}"], origin="https://evil.example") == 403
    )
    assert handshake_status(person, room, [f"Authorization: Bearer {person.token}"], "?after=-1") == 400


def test_a_token_in_the_url_is_never_accepted(person):
    room = person.create_room()
    assert handshake_status(person, room, [], f"?token={person.token}") == 401
    assert handshake_status(person, room, [], f"?access_token={person.token}") == 401


def test_a_revoked_token_cannot_open_a_socket(person):
    room = person.create_room()
    token = person.token
    person.post("/auth/logout")
    assert handshake_status(person, room, [f"Authorization: Bearer {token}"]) == 401


def test_the_login_cookie_opens_a_socket_from_the_same_origin(person):
    room = person.create_room()
    socket = RoomSocket.open(person, room, headers=[f"Cookie: parley_token={person.token}"], origin=person.ws_base_url)
    assert socket.hello["user"]["id"] == person.id


def test_joining_a_public_room_by_socket_makes_you_a_member(person, new_person):
    guest = new_person().register().login()
    room = person.create_room()
    guest.connect(room)
    assert guest.post(f"/ws/rooms/{room}/messages", json={"content": "I am in"}).status_code == 201


def test_presence_join_leave_and_get_clients(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    mine = person.connect(room)
    theirs = friend.connect(room)
    assert mine.receive() == {"type": "join", "room_id": room, "user": {"id": friend.id, "username": friend.username}}
    clients = person.get(f"/ws/getClients/{room}").json()["clients"]
    assert sorted(c["id"] for c in clients) == sorted([person.id, friend.id])
    online = {r["id"]: r["online"] for r in person.get("/ws/getRooms").json()["rooms"]}
    assert online[room] == 2
    # A second socket of the same person is not a second presence.
    second = friend.connect(room)
    second.close()
    theirs.close()
    assert mine.receive() == {"type": "leave", "room_id": room, "user": {"id": friend.id, "username": friend.username}}
    assert [c["id"] for c in person.get(f"/ws/getClients/{room}").json()["clients"]] == [person.id]


def test_a_plain_get_of_the_socket_path_is_a_json_400(person):
    room = person.create_room()
    response = person.get(f"/ws/joinRoom/{room}")
    assert response.status_code == 400
    assert response.json()["error"]["code"]


def test_a_client_closing_its_socket_is_no_error_in_the_log(server):
    """Every socket ends with its client closing it: that is logged as nothing at all, let alone as
    a failure with a traceback (it was, for every socket)."""
    staying, leaving = (Person(server.url).register().login() for _ in range(2))
    room = staying.create_room()
    watching = staying.connect(room)
    closing = leaving.connect(room)
    lines_before = len(server.log_lines())
    closing.ws.close()
    # The leave goes out once the socket's handler has ended, after anything it logged.
    watching.receive_until(lambda frame: frame["type"] == "leave" and frame["user"]["id"] == leaving.id)
    logged = server.log_lines()[lines_before:]
    assert not [line for line in logged if '"level": "error"' in line or "Traceback" in line], logged
