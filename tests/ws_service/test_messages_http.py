"""History, the long-poll and sending over HTTP, for clients without a WebSocket."""

import threading
import time

import pytest

from tests.conftest import eventually
from tests.ws_service.conftest import long_polls_waiting

# The longest wait the API allows: a poll nothing wakes would take all of it.
LONG_POLL_SECONDS = 30


def fill(person, room, count):
    return [person.post(f"/ws/rooms/{room}/messages", json={"content": f"n{i}"}).json() for i in range(count)]


def test_history_pages_forward_with_after_and_backward_with_before(person):
    room = person.create_room()
    fill(person, room, 10)
    first = person.get(f"/ws/rooms/{room}/messages?limit=4").json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4]
    assert first["last_seq"] == 10
    nxt = person.get(f"/ws/rooms/{room}/messages?after=4&limit=4").json()
    assert [e["seq"] for e in nxt["events"]] == [5, 6, 7, 8]
    back = person.get(f"/ws/rooms/{room}/messages?before=8&limit=3").json()
    assert [e["seq"] for e in back["events"]] == [5, 6, 7]
    between = person.get(f"/ws/rooms/{room}/messages?after=2&before=5").json()
    assert [e["seq"] for e in between["events"]] == [3, 4]


def test_an_http_send_reaches_websocket_clients(person, new_person):
    watcher = new_person().register().login()
    room = person.create_room()
    socket = watcher.connect(room)
    sent = person.post(f"/ws/rooms/{room}/messages", json={"content": "from http", "client_id": "h-1"})
    assert sent.status_code == 201
    assert socket.stored_events(1)[0] == sent.json()


def test_the_long_poll_is_woken_by_a_new_event(person, new_person):
    writer = new_person().register().login()
    room = person.create_room()
    writer.post(f"/ws/rooms/{room}/members")
    result = {}
    waiting_before = long_polls_waiting(person.ws_base_url)

    def poll():
        started = time.monotonic()
        result["response"] = person.get(f"/ws/rooms/{room}/messages?after=0&wait={LONG_POLL_SECONDS}")
        result["waited"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    eventually(lambda: long_polls_waiting(person.ws_base_url) > waiting_before, what="the long-poll waiting")
    assert poller.is_alive(), "the long-poll answered before there was anything to answer"
    writer.post(f"/ws/rooms/{room}/messages", json={"content": "wake up"})
    poller.join(timeout=LONG_POLL_SECONDS + 5)
    assert [e["content"] for e in result["response"].json()["events"]] == ["wake up"]
    assert result["waited"] < LONG_POLL_SECONDS / 3, "the poll ran out its wait: the event did not wake it"


def test_the_long_poll_ends_empty_when_the_wait_is_over(person):
    room = person.create_room()
    fill(person, room, 2)
    response = person.get(f"/ws/rooms/{room}/messages?after=2&wait=1")
    assert response.status_code == 200
    assert response.json() == {"events": [], "last_seq": 2}


def test_the_long_poll_answers_at_once_when_events_are_there(person):
    room = person.create_room()
    fill(person, room, 3)
    assert [e["seq"] for e in person.get(f"/ws/rooms/{room}/messages?after=1&wait=30").json()["events"]] == [2, 3]


@pytest.mark.parametrize(
    "query", ["after=-1", "after=x", "before=1.5", "limit=0", "limit=501", "wait=31", "wait=-1", "wait=5&before=3"]
)
def test_bad_history_parameters_are_400(person, query):
    room = person.create_room()
    response = person.get(f"/ws/rooms/{room}/messages?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "missing_field"),
        ({"content": ""}, "too_short"),
        ({"content": "a" * 4001}, "too_long"),
        ({"content": None}, "missing_field"),
        ({"content": "ok", "client_id": ["x"]}, "wrong_type"),
    ],
)
def test_bad_http_sends_are_400_and_store_nothing(person, body, code):
    room = person.create_room()
    response = person.post(f"/ws/rooms/{room}/messages", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert person.get(f"/ws/rooms/{room}/messages").json() == {"events": [], "last_seq": 0}


def test_a_non_member_of_a_public_room_cannot_read_its_history(person, new_person):
    outsider = new_person().register().login()
    room = person.create_room()
    response = outsider.get(f"/ws/rooms/{room}/messages")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_member"
