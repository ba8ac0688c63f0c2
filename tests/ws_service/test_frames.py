"""Every frame a client can send wrongly gets its error frame (or close code); its neighbours
and the socket itself go on."""

import json

import pytest
import websocket

from tests.conftest import Person, server_of_its_own


@pytest.fixture
def room_with_two(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    return room, person.connect(room), friend.connect(room)


def next_error(socket):
    return socket.receive_until(lambda frame: frame["type"] == "error")[-1]


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json", "invalid_json"),
        ('{"type": "send", ', "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ("[" * 5000 + "]" * 5000, "invalid_json"),
        ("{}", "unknown_type"),
        ('{"type": "shout", "content": "hi"}', "unknown_type"),
        ('{"type": 5}', "unknown_type"),
        ('{"type": "send"}', "missing_field"),
        ('{"type": "send", "content": 42}', "wrong_type"),
        ('{"type": "send", "content": "   "}', "too_short"),
        ('{"type": "send", "content": "' + "y" * 4001 + '"}', "too_long"),
        ('{"type": "send", "content": "ok", "client_id": ""}', "too_short"),
        ('{"type": "send", "content": "ok", "client_id": "' + "c" * 65 + '"}', "too_long"),
        ('{"type": "send", "content": "ok", "client_id": 12}', "wrong_type"),
        ('{"type": "send", "content": "nul \\u0000"}', "invalid_text"),
        ('{"type": "send", "content": "half \\ud800"}', "invalid_text"),
        ('{"type": "edit", "id": "1", "content": "x"}', "wrong_type"),
        ('{"type": "edit", "id": 99999999999, "content": "x"}', "message_not_found"),
        ('{"type": "delete", "id": true}', "wrong_type"),
        ('{"type": "delete", "id": -4}', "wrong_type"),
    ],
)
def test_a_bad_frame_gets_its_error_and_the_socket_stays_open(room_with_two, raw, code):
    _room, mine, theirs = room_with_two
    mine.ws.send(raw)
    assert next_error(mine)["code"] == code
    mine.send(type="send", content="still here", client_id="after-error")
    events = theirs.stored_events(1)
    assert events[0]["content"] == "still here"


def test_an_error_names_the_frame_it_refuses(room_with_two):
    _, mine, _ = room_with_two
    mine.send(type="send", content="", client_id="ref-7")
    assert next_error(mine) == {
        "type": "error",
        "code": "too_short",
        "ref": "ref-7",
        "message": "'content' must be at least 1 characters.",
    }


def test_a_binary_frame_is_refused_with_an_error(room_with_two):
    _, mine, _ = room_with_two
    mine.ws.send_binary(b"\x00\x01binary")
    assert next_error(mine)["code"] == "invalid_frame"


def test_invalid_utf8_in_a_text_frame_closes_that_socket_with_1007_only(room_with_two):
    _, mine, theirs = room_with_two
    mine.ws.send_frame(websocket.ABNF.create_frame(b'{"type":"send","content":"\xff\xfe"}', websocket.ABNF.OPCODE_TEXT))
    assert mine.close_code() == 1007
    theirs.send(type="send", content="neighbour fine", client_id="n-1")
    assert theirs.stored_events(1)[0]["content"] == "neighbour fine"


def test_a_frame_over_the_size_limit_closes_with_1009(room_with_two):
    _, mine, theirs = room_with_two
    mine.ws.send(json.dumps({"type": "send", "content": "z" * 40000}))
    assert mine.close_code() == 1009
    theirs.send(type="send", content="unaffected", client_id="u-1")
    assert theirs.stored_events(1)[0]["content"] == "unaffected"


def test_a_fragmented_frame_is_put_together(room_with_two):
    _, mine, theirs = room_with_two
    payload = json.dumps({"type": "send", "content": "in three parts", "client_id": "frag-1"})
    thirds = [payload[:10], payload[10:20], payload[20:]]
    mine.ws.send_frame(websocket.ABNF.create_frame(thirds[0], websocket.ABNF.OPCODE_TEXT, fin=0))
    mine.ws.send_frame(websocket.ABNF.create_frame(thirds[1], websocket.ABNF.OPCODE_CONT, fin=0))
    mine.ws.send_frame(websocket.ABNF.create_frame(thirds[2], websocket.ABNF.OPCODE_CONT, fin=1))
    assert theirs.stored_events(1)[0]["content"] == "in three parts"


@pytest.fixture(scope="module")
def server_with_default_limits(database_url, tmp_path_factory):
    yield from server_of_its_own(database_url, tmp_path_factory, "limits", {"WS_CONNECTIONS_PER_USER": "3"})


def test_a_flood_of_frames_is_rate_limited_per_user(server_with_default_limits):
    person = Person(server_with_default_limits.url).register().login()
    room = person.create_room()
    socket = person.connect(room)
    for i in range(40):
        socket.send(type="send", content=f"flood {i}", client_id=f"f-{i}")
    # Each send is answered once: stored (its message frame) or refused (an error naming it). The
    # reader reads on while sends are stored, so refusals may come before earlier sends' messages.
    answers = []
    while len(answers) < 40:
        frame = socket.receive()
        if frame["type"] in ("message", "error"):
            answers.append(frame)
    stored = [f for f in answers if f["type"] == "message"]
    refused = [f for f in answers if f["type"] == "error"]
    assert {f["code"] for f in refused} == {"rate_limited"}
    assert 15 <= len(stored) <= 25  # the burst (20), give or take what refilled meanwhile
    assert [f["seq"] for f in stored] == list(range(1, len(stored) + 1))
    sent_order = [int(f["content"].split()[1]) for f in stored]
    assert sent_order == sorted(sent_order)  # stored in the order sent
    assert sorted(sent_order + [int(f["ref"][2:]) for f in refused]) == list(range(40))
    over_http = person.post(f"/ws/rooms/{room}/messages", json={"content": "and over HTTP"})
    assert over_http.status_code == 429
    assert int(over_http.headers["Retry-After"]) >= 1
    assert over_http.json()["error"]["code"] == "rate_limited"


def test_an_event_stream_counts_as_one_of_the_users_sockets(server_with_default_limits):
    person = Person(server_with_default_limits.url).register().login()
    room = person.create_room()
    in_room = [person.connect(room) for _ in range(2)]
    streams = [person.events()]
    url = person.base_url.replace("http://", "ws://") + "/ws/events"
    extra = websocket.create_connection(url, header=[f"Authorization: Bearer {person.token}"], timeout=10)
    assert json.loads(extra.recv())["code"] == "too_many_connections"
    opcode, data = extra.recv_data()
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(data[:2], "big") == 1008
    streams[0].close()
    # A stream closed makes room for another.
    for _ in range(50):
        try:
            person.events().close()
            break
        except AssertionError:
            continue
    else:
        pytest.fail("no stream could open after one closed")
    assert len(in_room) == 2


def test_sockets_per_user_are_limited(server_with_default_limits):
    person = Person(server_with_default_limits.url).register().login()
    room = person.create_room()
    open_ones = [person.connect(room) for _ in range(3)]
    url = person.base_url.replace("http://", "ws://") + f"/ws/joinRoom/{room}"
    extra = websocket.create_connection(url, header=[f"Authorization: Bearer {person.token}"], timeout=10)
    error = json.loads(extra.recv())
    assert error["code"] == "too_many_connections"
    opcode, data = extra.recv_data()
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(data[:2], "big") == 1008
    open_ones[0].close()
    # A socket closed makes room for another.
    for _ in range(50):
        try:
            person.connect(room).close()
            break
        except AssertionError:
            continue
    else:
        pytest.fail("no socket could open after one closed")
