"""Ordered, gapless, resumable delivery: every client sees every stored event once, in seq order."""

import socket as sockets
import threading
import uuid

import pytest
import websocket

from tests.conftest import Person, RunningServer


def send_over_http(person, room, count, prefix="m"):
    assert person.post(f"/ws/rooms/{room}/members").status_code == 200
    for i in range(count):
        response = person.post(f"/ws/rooms/{room}/messages", json={"content": f"{prefix}{i}"})
        assert response.status_code == 201, response.text


def test_two_clients_exchange_messages_both_ways(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    mine, theirs = person.connect(room), friend.connect(room)
    mine.send(type="send", content="hello", client_id="a-1")
    theirs.send(type="send", content="hi back", client_id="b-1")
    for socket in (mine, theirs):
        events = socket.stored_events(2)
        assert [e["seq"] for e in events] == [1, 2]
        assert {(e["user"]["id"], e["content"], e["client_id"]) for e in events} == {
            (person.id, "hello", "a-1"),
            (friend.id, "hi back", "b-1"),
        }


def test_resume_after_a_disconnect_sends_what_was_missed_then_live(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    socket = person.connect(room)
    send_over_http(friend, room, 3, "before")
    seen = socket.stored_events(3)
    socket.close()
    send_over_http(friend, room, 4, "during")  # committed while away
    resumed = person.connect(room, after=seen[-1]["seq"])
    assert resumed.hello["last_seq"] == 7
    send_over_http(friend, room, 2, "after")
    events = resumed.stored_events(6)
    assert [e["seq"] for e in events] == [4, 5, 6, 7, 8, 9]
    assert [e["content"] for e in events] == ["during0", "during1", "during2", "during3", "after0", "after1"]


def test_nothing_is_missed_or_doubled_at_the_seam_between_backlog_and_live(person, new_person):
    """Events are committed while clients connect and read the backlog: each client must see
    exactly 1..N, whatever the moment it joined."""
    writer = new_person().register().login()
    room = person.create_room()
    total = 60
    done = threading.Event()

    def keep_sending():
        send_over_http(writer, room, total)
        done.set()

    sender = threading.Thread(target=keep_sending)
    sender.start()
    sockets = []
    while not done.is_set() and len(sockets) < 6:
        sockets.append(person.connect(room, after=0))
    sender.join()
    assert sockets, "the sender finished before a socket connected"
    for socket in sockets:
        assert [e["seq"] for e in socket.stored_events(total)] == list(range(1, total + 1))


def test_concurrent_senders_produce_a_gapless_seq_every_client_sees_in_the_same_order(person, new_person):
    senders = [new_person().register().login() for _ in range(4)]
    room = person.create_room()
    watchers = [person.connect(room) for _ in range(3)]
    per_sender = 15
    threads = [
        threading.Thread(target=send_over_http, args=(s, room, per_sender, f"s{i}-")) for i, s in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = per_sender * len(senders)
    streams = [[(e["seq"], e["id"], e["content"]) for e in w.stored_events(total)] for w in watchers]
    assert [seq for seq, _, _ in streams[0]] == list(range(1, total + 1))
    assert streams[0] == streams[1] == streams[2]
    stored = person.get(f"/ws/rooms/{room}/messages?limit=500").json()["events"]
    assert [(e["seq"], e["id"], e["content"]) for e in stored] == streams[0]


def test_a_repeated_client_id_is_stored_once_and_answered_with_the_stored_event(person, new_person, db_cursor):
    friend = new_person().register().login()
    room = person.create_room()
    mine, theirs = person.connect(room), friend.connect(room)
    mine.send(type="send", content="only once", client_id="dup-1")
    first = mine.stored_events(1)[0]
    mine.send(type="send", content="only once", client_id="dup-1")
    repeat = mine.stored_events(1)[0]
    assert repeat == first
    over_http = person.post(f"/ws/rooms/{room}/messages", json={"content": "only once", "client_id": "dup-1"})
    assert over_http.status_code == 200
    assert over_http.json()["seq"] == first["seq"]
    db_cursor.execute("SELECT count(*) FROM messages WHERE room_id = %s", (room,))
    assert db_cursor.fetchone()[0] == 1
    # The other client saw it once, and the next event is seq 2: the repeats took no seq.
    mine.send(type="send", content="next", client_id="dup-2")
    assert [e["seq"] for e in theirs.stored_events(2)] == [1, 2]


def test_concurrent_repeats_of_one_client_id_store_one_message(person, db_cursor):
    room = person.create_room()
    client_id = uuid.uuid4().hex
    barrier = threading.Barrier(4)
    answers = []

    def send():
        barrier.wait()
        answers.append(person.post(f"/ws/rooms/{room}/messages", json={"content": "x", "client_id": client_id}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    db_cursor.execute(
        "SELECT count(*), max(last_seq) FROM messages JOIN rooms r ON r.id = room_id WHERE room_id = %s", (room,)
    )
    assert db_cursor.fetchone() == (1, 1)


def test_edit_and_delete_are_stored_events_with_their_own_seq(person, new_person):
    friend = new_person().register().login()
    room = person.create_room()
    mine, theirs = person.connect(room), friend.connect(room)
    mine.send(type="send", content="draft", client_id="e-1")
    message = theirs.stored_events(1)[0]
    mine.send(type="edit", id=message["id"], content="final")
    edited = theirs.stored_events(1)[0]
    assert {k: edited[k] for k in ("type", "room_id", "seq", "id", "content")} == {
        "type": "message_edited",
        "room_id": room,
        "seq": 2,
        "id": message["id"],
        "content": "final",
    }
    assert edited["edited_at"]
    mine.send(type="delete", id=message["id"])
    assert theirs.stored_events(1)[0] == {"type": "message_deleted", "room_id": room, "seq": 3, "id": message["id"]}
    history = person.get(f"/ws/rooms/{room}/messages").json()
    assert [e["type"] for e in history["events"]] == ["message", "message_edited", "message_deleted"]
    assert all(e.get("content", "") == "" for e in history["events"]), "a deleted message's words are forgotten"


def test_only_the_author_edits_and_the_author_or_owner_deletes(person, new_person):
    author, bystander = (new_person().register().login() for _ in range(2))
    room = person.create_room()
    author_socket, bystander_socket = author.connect(room), bystander.connect(room)
    author_socket.send(type="send", content="mine", client_id="o-1")
    message = bystander_socket.stored_events(1)[0]
    bystander_socket.send(type="edit", id=message["id"], content="hijacked")
    error = bystander_socket.receive_until(lambda f: f["type"] == "error")[-1]
    assert (error["code"], error["ref"]) == ("not_the_author", message["id"])
    bystander_socket.send(type="delete", id=message["id"])
    assert bystander_socket.receive_until(lambda f: f["type"] == "error")[-1]["code"] == "not_the_author"
    owner_socket = person.connect(room)
    owner_socket.send(type="delete", id=message["id"])
    assert owner_socket.stored_events(1)[0]["type"] == "message_deleted"
    owner_socket.send(type="edit", id=message["id"], content="too late")
    assert owner_socket.receive_until(lambda f: f["type"] == "error")[-1]["code"] == "message_not_found"


def test_messages_of_a_deleted_account_stay_from_a_deleted_user(person, new_person):
    leaver = new_person().register().login()
    room = person.create_room()
    leaver.post(f"/ws/rooms/{room}/members")
    leaver.post(f"/ws/rooms/{room}/messages", json={"content": "goodbye"})
    assert leaver.request("DELETE", "/users/delete").status_code == 204
    event = person.get(f"/ws/rooms/{room}/messages").json()["events"][0]
    assert event["content"] == "goodbye"
    assert event["user"] == {"id": None, "username": "[deleted]"}


@pytest.fixture
def server_with(database_url, tmp_path):
    """Starts servers of the test's own with the settings it names, and no limit on messages."""
    servers = []

    def start(**settings):
        env = {"DATABASE_URL": database_url, "MESSAGE_RATE_PER_SECOND": "100000", "MESSAGE_BURST": "100000"}
        servers.append(RunningServer({**env, **settings}, tmp_path / f"server{len(servers)}.log"))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.mark.slow
def test_a_client_that_never_reads_is_closed_with_1013_and_its_room_goes_on(server_with):
    url = server_with(WS_OUTBOX_FRAMES="8").url
    sender, reader, sleeper = (Person(url).register().login() for _ in range(3))
    room = sender.create_room()
    stuck = sleeper.connect(room, sockopt=((sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096),))
    live = reader.connect(room)
    big = "🙂" * 4000  # 16 KB a frame: the socket buffers fill in a few hundred

    def sleeper_connected():
        return sleeper.id in [c["id"] for c in sender.get(f"/ws/getClients/{room}").json()["clients"]]

    for _ in range(400):
        assert sender.post(f"/ws/rooms/{room}/messages", json={"content": big}).status_code == 201
        live.stored_events(1)  # the reading client keeps up, message by message
        if not sleeper_connected():
            break
    assert not sleeper_connected(), "the silent client was never cut off"
    assert sender.post(f"/ws/rooms/{room}/messages", json={"content": "still flowing"}).status_code == 201
    assert live.stored_events(1)[0]["content"] == "still flowing"
    assert stuck.close_code(timeout=30) == 1013


@pytest.mark.slow
def test_a_client_that_stops_reading_with_little_queued_is_cut_off_at_the_write_deadline(server_with):
    """Its outbox (1,024 frames) never fills: what stops it is a write that waits past the deadline.
    Without one, the stalled write held the socket (its heartbeat too) until the 1 h idle timeout."""
    url = server_with(WS_WRITE_TIMEOUT_SECONDS="1").url
    sender, reader, sleeper = (Person(url).register().login() for _ in range(3))
    room = sender.create_room()
    stuck = sleeper.connect(room, sockopt=((sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096),))
    live = reader.connect(room)
    big = "🙂" * 4000  # 16 KB a frame

    def sleeper_connected():
        return sleeper.id in [c["id"] for c in sender.get(f"/ws/getClients/{room}").json()["clients"]]

    sent = 0
    while sleeper_connected():
        assert sent < 600, "the silent client was never cut off"  # 600 frames: fewer than its outbox holds
        assert sender.post(f"/ws/rooms/{room}/messages", json={"content": big}).status_code == 201
        live.stored_events(1)
        sent += 1
    assert sender.post(f"/ws/rooms/{room}/messages", json={"content": "still flowing"}).status_code == 201
    assert live.stored_events(1)[0]["content"] == "still flowing"
    # What it had taken is there to read, then the connection ends: no close frame could reach it.
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        while True:
            stuck.receive(timeout=10)


def test_an_event_is_stored_before_anyone_receives_it(person, new_person, db_cursor):
    sender = new_person().register().login()
    room = person.create_room()
    watcher, sending = person.connect(room), sender.connect(room)
    for i in range(20):
        sending.send(type="send", content=f"stored first {i}", client_id=f"sf-{i}")
        event = watcher.stored_events(1)[0]
        # Read the moment it arrives, on a connection of our own: it must be committed already.
        db_cursor.execute(
            "SELECT m.content FROM room_events e JOIN messages m ON m.id = e.message_id "
            "WHERE e.room_id = %s AND e.seq = %s",
            (room, event["seq"]),
        )
        assert db_cursor.fetchone() == (f"stored first {i}",)
