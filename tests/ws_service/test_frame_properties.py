"""Generated frames (hypothesis): whatever a client sends, whole or in fragments, text, binary,
invalid UTF-8, oversized or absurdly nested, it gets at most one answer (its contract error, or the
stored event its frame made; a read or typing frame gets none) or its contract close code, and the
socket itself, the room's other sockets and the process go on as before."""

import json
import uuid

import pytest
import requests
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Person, SocketClosed

pytestmark = pytest.mark.slow

MAX_FRAME_BYTES = 32 * 1024  # WS_MAX_FRAME_BYTES's default, which the test servers keep
ERROR_CODES = {
    "invalid_frame",
    "invalid_json",
    "unknown_type",
    "missing_field",
    "wrong_type",
    "too_short",
    "too_long",
    "invalid_text",
    "message_not_found",
    "not_the_author",
    "rate_limited",
}
STORED = {"message", "message_edited", "message_deleted"}

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
frame_objects = st.fixed_dictionaries(
    {"type": st.sampled_from(["send", "edit", "delete", "read", "typing"]) | st.text(max_size=8) | json_values},
    optional={
        "content": st.text(max_size=60) | json_values,
        "client_id": st.text(max_size=70) | json_values,
        "id": st.integers(min_value=-2, max_value=2**64) | json_values,
        "seq": st.integers(min_value=-2, max_value=2**64) | json_values,
    },
)
depths = st.integers(min_value=1, max_value=MAX_FRAME_BYTES // 2 - 1)
texts = st.one_of(
    frame_objects.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
    depths.map(lambda n: "[" * n + "]" * n),
    depths.map(lambda n: '{"a":' * (n // 5) + "1" + "}" * (n // 5)),
)
# (kind, payload, how many fragments it is sent in)
frames = st.one_of(
    st.tuples(st.just("text"), texts, st.integers(min_value=1, max_value=4)),
    st.tuples(st.just("binary"), st.binary(max_size=200), st.integers(min_value=1, max_value=3)),
    st.tuples(st.just("invalid_utf8"), st.binary(min_size=1, max_size=50).map(lambda b: b"\xff" + b), st.just(1)),
    st.tuples(
        st.just("oversized"),
        st.integers(min_value=MAX_FRAME_BYTES + 1, max_value=4 * MAX_FRAME_BYTES).map(lambda n: "x" * n),
        st.integers(min_value=1, max_value=3),
    ),
)


def send_in_fragments(ws, kind, payload, parts):
    data = payload if isinstance(payload, bytes) else payload.encode()
    opcode = websocket.ABNF.OPCODE_BINARY if kind == "binary" else websocket.ABNF.OPCODE_TEXT
    size = max(1, -(-len(data) // parts))
    chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    for index, chunk in enumerate(chunks):
        ws.send_frame(
            websocket.ABNF.create_frame(
                chunk, opcode if index == 0 else websocket.ABNF.OPCODE_CONT, fin=int(index == len(chunks) - 1)
            )
        )


def answers_until_sentinel(socket):
    """What answered the client's frames up to a good message sent after them (which must be stored),
    leaving out the room's presence and typing."""
    sentinel = uuid.uuid4().hex
    socket.send(type="send", content=sentinel, client_id=sentinel)
    answers = []
    while True:
        frame = socket.receive(timeout=10)
        if frame.get("content") == sentinel:
            return answers
        if frame["type"] == "error" or frame["type"] in STORED:
            answers.append(frame)


@pytest.fixture(scope="module")
def room_of_two(ws_base_url, base_url):
    people = [Person(base_url, ws_base_url=ws_base_url).register().login() for _ in range(2)]
    room = people[0].create_room()
    neighbour = people[1].connect(room)
    return people[0], room, neighbour


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(frame=frames)
def test_any_frame_gets_one_answer_or_its_close_code_and_the_room_goes_on(room_of_two, frame):
    person, room, neighbour = room_of_two
    kind, payload, parts = frame
    socket = person.connect(room, after=10**9)
    try:
        send_in_fragments(socket.ws, kind, payload, parts)
        if kind == "invalid_utf8":
            assert socket.close_code() == 1007
        elif kind == "oversized":
            assert socket.close_code() == 1009
        else:
            # Still open and still itself: a good message after the frame is stored.
            answers = answers_until_sentinel(socket)
            assert len(answers) <= 1, answers
            if kind == "binary":
                assert [answer.get("code") for answer in answers] == ["invalid_frame"]
            for answer in answers:
                assert answer["type"] in STORED or answer["code"] in ERROR_CODES, answer
    except SocketClosed as closed:
        pytest.fail(f"{kind} frame closed the socket with {closed.code}")
    finally:
        socket.close()
    marker = uuid.uuid4().hex
    neighbour.send(type="send", content=marker, client_id=marker)
    # The neighbour also gets the person's messages and presence; its own comes after them.
    neighbour.receive_until(lambda received: received.get("content") == marker)


def test_the_process_is_healthy_after_the_generated_frames(ws_base_url, room_of_two):
    assert requests.get(f"{ws_base_url}/ws/healthz", timeout=5).status_code == 200
