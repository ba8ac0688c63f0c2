"""The hub on its own: order, gaps, presence and slow receivers, with recording receivers in
place of sockets."""

import json
import time

import gevent
import pytest

from shared.background import BackgroundLoops
from ws_service.broker import InMemoryBroker
from ws_service.frames import text_frame
from ws_service.hub import GAP_WAIT_SECONDS, RoomHub


class RecordingConnection:
    def __init__(self, room_id, user_id, capacity=1000, token_id=None, token_expires_at=None):
        self.room_id = room_id
        self.user = {"id": user_id, "username": f"user{user_id}"}
        self.token_id = token_id or f"token-of-{user_id}"
        self.token_expires_at = token_expires_at or time.time() + 3600
        self.frames = []
        self.wire = {}  # seq -> the frame's bytes as given
        self.capacity = capacity
        self.closed_with = None
        self.runs = []  # how many stored events each hand-over carried
        self._in_run = False

    def deliver_run(self, frames, joined, first_seq):
        assert joined == b"".join(frames)
        self.runs.append(len(frames))
        self._in_run = True
        try:
            return all(self.deliver(frame, first_seq + offset) for offset, frame in enumerate(frames))
        finally:
            self._in_run = False

    def deliver(self, frame, seq):
        if seq is not None and not self._in_run:
            self.runs.append(1)  # a stored event handed over alone
        if len(self.frames) >= self.capacity:
            return False
        self.frames.append((seq, text_of(frame)))
        self.wire[seq] = frame
        return True

    def close(self, code, reason):
        self.closed_with = code

    def send_event(self, event):
        self.frames.append((None, json.dumps(event)))

    def finish(self, code, reason):
        self.closed_with = code

    def heartbeat(self, now):
        pass

    def end_session(self, code, message):
        self.send_event({"type": "error", "code": code, "message": message})
        self.finish(1008, message)

    def seqs(self):
        return [seq for seq, _ in self.frames if seq is not None]


def text_of(frame):
    """The text a whole unmasked WebSocket text frame carries."""
    assert frame[0] == 0x81, "a final text frame"
    length = frame[1]
    start = {126: 4, 127: 10}.get(length, 2)
    payload = frame[start:]
    assert len(payload) == (length if start == 2 else int.from_bytes(frame[2:start], "big"))
    return payload.decode()


def message(room_id, seq):
    return {"type": "message", "room_id": room_id, "seq": seq, "id": seq, "content": f"m{seq}"}


@pytest.fixture
def stored():
    """What the database holds, by room: the hub reads a gap from here."""
    return {}


@pytest.fixture
def revoked():
    """The token ids the database knows as revoked."""
    return set()


@pytest.fixture
def left():
    """The (room id, user id) memberships the database no longer has."""
    return set()


@pytest.fixture
def hub(stored, revoked, left):
    def fetch_events(room_id, after_seq, limit):
        return [e for e in stored.get(room_id, []) if e["seq"] > after_seq][:limit]

    def find_ended_sockets(sockets):
        return (
            {jti for jti, _user_id, _room_id in sockets if jti in revoked},
            {(room_id, user_id) for _jti, user_id, room_id in sockets if (room_id, user_id) in left},
        )

    def fetch_rooms(room_id, user_ids):
        last_seq = len(stored.get(room_id, []))
        return last_seq, {user_id: {"id": room_id, "name": f"room {room_id}", "unread": 0} for user_id in user_ids}

    running = RoomHub(
        fetch_events, max_connections_per_user=2, find_ended_sockets=find_ended_sockets, fetch_rooms=fetch_rooms
    )
    running.start(InMemoryBroker(running), BackgroundLoops())
    return running


def handled(hub):
    """Wait until the hub has handled everything sent to it so far."""
    assert hub.barrier().get(timeout=1)


def until(predicate, timeout=2):
    """Wait, letting the hub's greenlets run, until `predicate()` holds: for what the hub does later
    on its own (a gap read from the database, a session check's answer)."""
    with gevent.Timeout(timeout, AssertionError(f"not true within {timeout} s")):
        while not predicate():
            gevent.sleep(0.005)


def test_events_published_out_of_order_are_delivered_in_seq_order(hub):
    receiver = RecordingConnection(1, 10)
    assert hub.register(receiver).get(timeout=1)
    for seq in (1, 3, 2, 5, 4):
        hub.broadcast(message(1, seq))
    handled(hub)
    assert receiver.seqs() == [1, 2, 3, 4, 5]


def test_events_that_arrive_while_the_hub_is_busy_reach_each_socket_as_one_run(hub):
    receivers = [RecordingConnection(1, user_id) for user_id in (10, 11)]
    for receiver in receivers:
        assert hub.register(receiver).get(timeout=1)
    handled(hub)
    hub.broadcast(message(1, 1))
    handled(hub)  # alone in the inbox: handed over at once, alone
    for seq in range(2, 7):  # all in the inbox before the hub runs again
        hub.broadcast(message(1, seq))
    handled(hub)
    for receiver in receivers:
        assert receiver.seqs() == [1, 2, 3, 4, 5, 6]
        assert receiver.runs == [1, 5]


def test_a_presence_change_after_held_events_reaches_sockets_after_them(hub):
    receiver = RecordingConnection(1, 10)
    assert hub.register(receiver).get(timeout=1)
    handled(hub)
    hub.broadcast(message(1, 1))
    hub.broadcast(message(1, 2))
    hub.register(RecordingConnection(1, 11))  # a join: presence, after the two messages
    handled(hub)
    kinds = [json.loads(text)["type"] for _seq, text in receiver.frames]
    assert kinds[-3:] == ["message", "message", "join"]


def test_a_lost_publish_is_read_from_the_database(hub, stored):
    receiver = RecordingConnection(1, 10)
    hub.register(receiver).get(timeout=1)
    stored[1] = [message(1, seq) for seq in (1, 2, 3)]
    hub.broadcast(message(1, 1))
    hub.broadcast(message(1, 3))  # 2 was committed, but its publish never came
    handled(hub)
    assert receiver.seqs() == [1]
    started = time.monotonic()
    until(lambda: receiver.seqs() == [1, 2, 3])
    assert time.monotonic() - started >= GAP_WAIT_SECONDS * 0.9  # it waited for the publish first


def test_a_duplicate_publish_is_delivered_once(hub):
    receiver = RecordingConnection(1, 10)
    hub.register(receiver).get(timeout=1)
    for seq in (1, 2, 2, 1, 3):
        hub.broadcast(message(1, seq))
    handled(hub)
    assert receiver.seqs() == [1, 2, 3]


def test_each_broadcast_is_serialised_once_for_all_receivers(hub):
    receivers = [RecordingConnection(1, user) for user in (10, 11, 12)]
    for receiver in receivers:
        hub.register(receiver).get(timeout=1)
    hub.broadcast(message(1, 1))
    handled(hub)
    assert receivers[0].wire[1] is receivers[1].wire[1] is receivers[2].wire[1]


def test_a_full_receiver_is_closed_with_1013_and_the_others_go_on(hub):
    slow, fast = RecordingConnection(1, 10, capacity=2), RecordingConnection(1, 11)
    hub.register(slow).get(timeout=1)
    hub.register(fast).get(timeout=1)
    for seq in range(1, 6):
        hub.broadcast(message(1, seq))
    handled(hub)
    assert slow.closed_with == 1013
    assert fast.seqs() == [1, 2, 3, 4, 5]
    assert [c["id"] for c in hub.clients(1)] == [11]


def test_presence_and_the_per_user_limit(hub):
    first, second, third = (RecordingConnection(1, 10) for _ in range(3))
    other = RecordingConnection(1, 11)
    assert hub.register(first).get(timeout=1)
    assert hub.register(other).get(timeout=1)
    assert hub.register(second).get(timeout=1)
    assert hub.register(third).get(timeout=1) is False  # two per user here
    handled(hub)
    assert [c["id"] for c in hub.clients(1)] == [10, 11]
    joins = [frame for seq, frame in first.frames if '"join"' in frame]
    assert len(joins) == 1 and '"id":11' in joins[0]
    hub.unregister(first)
    handled(hub)
    assert [c["id"] for c in hub.clients(1)] == [10, 11]  # still connected through `second`
    hub.unregister(second)
    handled(hub)
    assert [c["id"] for c in hub.clients(1)] == [11]


def test_a_long_poll_waiter_is_woken_by_a_stored_event_of_its_room(hub):
    waiter = hub.waiter(1)
    other_room = hub.waiter(2)
    hub.broadcast(message(1, 1))
    assert waiter.wait(timeout=1)
    assert not other_room.wait(timeout=0.05)


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_frames_carry_events_of_any_length_whole(size):
    event = {"type": "message", "content": "x" * size}
    assert json.loads(text_of(text_frame(event))) == event


def test_a_socket_whose_token_expired_is_closed_with_its_reason(hub):
    expired = RecordingConnection(1, 10, token_expires_at=time.time() - 1)
    valid = RecordingConnection(1, 11)
    for connection in (expired, valid):
        hub.register(connection).get()
    hub.check_sessions()
    handled(hub)
    assert expired.closed_with == 1008
    assert json.loads(expired.frames[-1][1])["code"] == "token_expired"
    assert valid.closed_with is None


def test_a_socket_whose_token_was_revoked_is_closed_at_the_next_check(hub, revoked):
    first, second = RecordingConnection(1, 10, token_id="a"), RecordingConnection(2, 10, token_id="b")
    for connection in (first, second):
        hub.register(connection).get()
    hub.check_sessions()
    handled(hub)
    assert first.closed_with is None and second.closed_with is None
    revoked.add("b")
    hub.check_sessions()
    until(lambda: second.closed_with is not None)
    assert first.closed_with is None
    assert second.closed_with == 1008
    assert json.loads(second.frames[-1][1])["code"] == "token_revoked"


def test_a_socket_whose_membership_ended_unheard_is_closed_at_the_next_check(hub, left):
    """The backstop for a leave whose notification no listener heard (the database link was down)."""
    leaver, other_room, stayer = RecordingConnection(10, 1), RecordingConnection(11, 1), RecordingConnection(10, 2)
    for connection in (leaver, other_room, stayer):
        hub.register(connection).get()
    left.add((10, 1))
    hub.check_sessions()
    until(lambda: leaver.closed_with is not None)
    assert leaver.closed_with == 1000
    assert other_room.closed_with is None and stayer.closed_with is None


class RecordingStream(RecordingConnection):
    """A user event stream: in no room, following its user's."""

    def __init__(self, user_id, **options):
        super().__init__(None, user_id, **options)
        self.rooms = None
        self.changes_before_rooms = []
        self.held = {}

    def hold(self, room_id, held):
        self.held.setdefault(room_id, []).append(held)
        return len(self.held[room_id]) <= self.capacity

    def end_session(self, code, message):
        self.send_event({"type": "session_ended", "code": code})
        self.finish(1008, message)

    def received(self):
        return [json.loads(text) for _, text in self.frames]


def test_a_stream_follows_the_rooms_it_was_given_with_the_changes_heard_while_they_were_read(hub):
    stream = RecordingStream(1)
    assert hub.register_stream(stream).get(timeout=1)
    # Heard after the stream registered, before its rooms (read from the database) reached the hub.
    hub.room_removed(5, 1)
    hub.room_added(7, 1, False)
    assert sorted(hub.stream_rooms(stream, {5: False, 6: False}).get(timeout=1)) == [6, 7]
    # The room list the client read may predate the leave: it hears of it.
    until(lambda: [f["type"] for f in stream.received()] == ["room_removed", "room_added"])
    assert stream.received()[0]["room_id"] == 5
    assert stream.received()[1]["room"]["id"] == 7
    for room_id in (5, 6, 7):
        hub.broadcast(message(room_id, 1))
    handled(hub)
    assert [(f["type"], f.get("room_id")) for f in stream.received()[2:]] == [("activity", 6), ("activity", 7)]


def test_a_quiet_dm_is_announced_by_its_first_message_from_the_other_instead_of_its_activity(hub, stored):
    stream = RecordingStream(1)
    assert hub.register_stream(stream).get(timeout=1)
    hub.stream_rooms(stream, {}).get(timeout=1)
    hub.room_added(9, 1, True)
    until(lambda: stream.rooms.get(9) == "quiet")  # nobody had written in it
    own, theirs, next_one = (
        {**message(9, seq), "user": {"id": author, "username": f"user{author}"}}
        for seq, author in ((1, 1), (2, 2), (3, 2))
    )
    hub.broadcast(own)  # their own message: still quiet
    handled(hub)
    assert stream.received() == []
    stored[9] = [own, theirs]  # what the room_added reads: its unread count holds `theirs`
    hub.broadcast(theirs)
    until(lambda: len(stream.received()) == 1)
    assert stream.received()[0]["type"] == "room_added"
    hub.broadcast(next_one)
    until(lambda: len(stream.received()) == 2)
    assert (stream.received()[1]["type"], stream.received()[1]["seq"]) == ("activity", 3)


def test_activity_while_a_room_added_is_read_follows_it_if_the_room_as_read_predates_it(hub, stored):
    stream = RecordingStream(1)
    assert hub.register_stream(stream).get(timeout=1)
    hub.stream_rooms(stream, {}).get(timeout=1)
    stored[4] = [message(4, 1)]  # the room as its room_added reads it
    hub.room_added(4, 1, False)
    for seq in (1, 2):  # the first is older than the read, the second newer
        hub.broadcast(message(4, seq))
    until(lambda: len(stream.received()) == 2)
    assert [(f["type"], f.get("seq")) for f in stream.received()] == [("room_added", None), ("activity", 2)]


def test_a_stream_too_slow_for_its_activity_is_closed_and_forgotten(hub):
    stream = RecordingStream(1, capacity=2)
    assert hub.register_stream(stream).get(timeout=1)
    hub.stream_rooms(stream, {3: False}).get(timeout=1)
    for seq in range(1, 4):
        hub.broadcast(message(3, seq))
    handled(hub)
    assert stream.closed_with == 1013
    hub.broadcast(message(3, 4))
    handled(hub)
    assert len(stream.frames) == 2
    # Its place among the user's sockets is free again.
    assert all(hub.register(RecordingConnection(3, 1)).get(timeout=1) for _ in range(2))
