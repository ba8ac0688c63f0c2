"""Several ws_service processes sharing Redis: events cross between them, in seq order, and
nothing stored is lost when a process dies or Redis goes away. Each test runs on a single Redis and
on a three-node Redis Cluster (REDIS_CLUSTER=1: sharded pub/sub, presence on the room's shard)."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import (
    GENEROUS_LIMITS,
    METRICS_HEADERS,
    GunicornService,
    Person,
    RedisClusterServers,
    RedisServer,
)
from tests.ws_service.conftest import long_polls_waiting

PROCESSES = 3


@pytest.fixture(scope="module", params=["single", "cluster"])
def redis_server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"redis-{request.param}")
    server = RedisServer(folder / "redis.log") if request.param == "single" else RedisClusterServers(folder)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ws_processes(database_url, redis_server, tmp_path_factory):
    logs = tmp_path_factory.mktemp("ws-processes")
    env = {
        "DATABASE_URL": database_url,
        **redis_server.env,
        "PRESENCE_TTL_SECONDS": "3",
        # What these tests close must close at once: the sweep, a backstop, does not come in time.
        "WS_SESSION_SWEEP_SECONDS": "60",
        **GENEROUS_LIMITS,
    }
    processes = [GunicornService("ws_service", env, logs / f"ws{i}.log") for i in range(PROCESSES)]
    yield processes
    for process in processes:
        process.stop()


def person_on(base_url, process):
    return Person(base_url, ws_base_url=process.url).register().login()


def same_person_on(person, process):
    other = Person(person.base_url, person.username, person.password, ws_base_url=process.url)
    other.token, other.id = person.token, person.id
    return other


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def connected_ids(person, room):
    return [c["id"] for c in person.get(f"/ws/getClients/{room}").json()["clients"]]


def stored_history(person, room):
    return [(e["seq"], e["id"]) for e in person.get(f"/ws/rooms/{room}/messages?limit=500").json()["events"]]


def test_an_event_sent_through_one_process_reaches_sockets_on_the_others_in_order(base_url, ws_processes):
    senders = [person_on(base_url, process) for process in ws_processes[:2]]
    room = senders[0].create_room()
    senders[1].post(f"/ws/rooms/{room}/members")
    watchers = [person_on(base_url, process).connect(room) for process in ws_processes]

    def send(person, prefix):
        for i in range(20):
            assert person.post(f"/ws/rooms/{room}/messages", json={"content": f"{prefix}{i}"}).status_code == 201

    threads = [threading.Thread(target=send, args=(s, f"p{i}-")) for i, s in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    streams = [[(e["seq"], e["id"]) for e in w.stored_events(40)] for w in watchers]
    assert [seq for seq, _ in streams[0]] == list(range(1, 41))
    assert streams[0] == streams[1] == streams[2] == stored_history(senders[0], room)


def test_get_clients_counts_sockets_on_every_process(base_url, ws_processes):
    people = [person_on(base_url, process) for process in ws_processes]
    room = people[0].create_room()
    sockets = [p.connect(room) for p in people]
    expected = sorted(p.id for p in people)
    for person in people:
        wait_for(lambda person=person: connected_ids(person, room) == expected)
    online = {r["id"]: r["online"] for r in people[1].get("/ws/getRooms").json()["rooms"]}
    assert online[room] == 3
    sockets[2].close()
    wait_for(lambda: connected_ids(people[0], room) == sorted(p.id for p in people[:2]))


def test_join_and_leave_cross_processes(base_url, ws_processes):
    alice, bob = person_on(base_url, ws_processes[0]), person_on(base_url, ws_processes[1])
    room = alice.create_room()
    watching = alice.connect(room)
    bobs = bob.connect(room)
    frame = watching.receive()
    assert frame == {"type": "join", "room_id": room, "user": {"id": bob.id, "username": bob.username}}
    bobs.close()
    assert watching.receive() == {"type": "leave", "room_id": room, "user": {"id": bob.id, "username": bob.username}}


def test_a_long_poll_on_one_process_wakes_on_a_send_through_another(base_url, ws_processes):
    writer = person_on(base_url, ws_processes[0])
    room = writer.create_room()
    poller = same_person_on(writer, ws_processes[1])
    result = {}
    waiting_before = long_polls_waiting(poller.ws_base_url)

    def poll():
        started = time.monotonic()
        result["events"] = poller.get(f"/ws/rooms/{room}/messages?after=0&wait=20").json()["events"]
        result["waited"] = time.monotonic() - started

    thread = threading.Thread(target=poll)
    thread.start()
    wait_for(lambda: long_polls_waiting(poller.ws_base_url) > waiting_before)
    writer.post(f"/ws/rooms/{room}/messages", json={"content": "across"})
    thread.join(timeout=25)
    assert [e["content"] for e in result["events"]] == ["across"]
    assert result["waited"] < 5, "the poll ran out its wait: the event from the other process did not wake it"


def test_the_broker_is_part_of_health(ws_processes):
    assert requests.get(f"{ws_processes[0].url}/healthz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "listener": "ok", "broker": "ok", "background": "ok"},
    }


def test_typing_crosses_processes_to_everyone_but_the_typist(base_url, ws_processes):
    typist = person_on(base_url, ws_processes[0])
    room = typist.create_room()
    typist_elsewhere = same_person_on(typist, ws_processes[1]).connect(room)
    others = [person_on(base_url, process).connect(room) for process in ws_processes[1:]]
    socket = typist.connect(room)
    socket.send(type="typing")
    for other in others:
        frame = other.receive_until(lambda f: f["type"] == "typing")[-1]
        assert frame == {"type": "typing", "room_id": room, "user": {"id": typist.id, "username": typist.username}}
    socket.send(type="send", content="done typing", client_id="t1")
    before = typist_elsewhere.receive_until(lambda f: f.get("content") == "done typing")
    assert "typing" not in [f["type"] for f in before]


def test_leaving_a_room_closes_the_leavers_sockets_on_every_process(base_url, ws_processes):
    owner = person_on(base_url, ws_processes[0])
    room = owner.create_room(private=True)
    member = person_on(base_url, ws_processes[0])
    assert owner.post(f"/ws/rooms/{room}/members", json={"user_id": member.id}).status_code == 200
    sockets = [same_person_on(member, process).connect(room) for process in ws_processes]
    staying = owner.connect(room)
    # nginx spreads one user's sockets over the processes: the leave goes through one of them.
    assert member.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    assert [socket.close_code(timeout=3) for socket in sockets] == [1000] * PROCESSES
    sent = owner.post(f"/ws/rooms/{room}/messages", json={"content": "after you left"}).json()
    assert staying.stored_events(1)[0]["id"] == sent["id"]


def test_deleting_a_room_closes_its_sockets_on_every_process(base_url, ws_processes):
    owner = person_on(base_url, ws_processes[1])
    room = owner.create_room()
    guests = [person_on(base_url, process) for process in ws_processes]
    sockets = [guest.connect(room) for guest in guests] + [same_person_on(owner, ws_processes[2]).connect(room)]
    assert owner.request("DELETE", f"/ws/rooms/{room}").status_code == 204
    assert [socket.close_code(timeout=3) for socket in sockets] == [1000] * (PROCESSES + 1)


def test_a_users_streams_on_every_process_hear_what_happens_through_the_others(base_url, ws_processes):
    alice = person_on(base_url, ws_processes[0])
    bob = person_on(base_url, ws_processes[1])
    # One user's tabs, spread over the processes as nginx would.
    streams = [same_person_on(alice, process).events() for process in ws_processes]
    room = bob.create_room()
    assert same_person_on(alice, ws_processes[2]).post(f"/ws/rooms/{room}/members").status_code == 200
    for stream in streams:
        assert stream.receive()["type"] == "room_added"

    sent = bob.post(f"/ws/rooms/{room}/messages", json={"content": f"hi @{alice.username}"}).json()
    for stream in streams:
        activity = stream.receive()
        assert (activity["type"], activity["room_id"], activity["seq"], activity["mention"]) == (
            "activity",
            room,
            sent["seq"],
            True,
        )
    socket = bob.connect(room)
    socket.send(type="edit", id=sent["id"], content="hi all")
    for stream in streams:
        edited = stream.receive()
        assert (edited["kind"], edited["from"]["id"]) == ("message_edited", bob.id)
    assert bob.request("PATCH", f"/ws/rooms/{room}", json={"name": f"new-{room}"}).status_code == 200
    for stream in streams:
        assert stream.receive()["room"]["name"] == f"new-{room}"
    assert bob.request("DELETE", f"/ws/rooms/{room}").status_code == 204
    for stream in streams:
        assert stream.receive() == {"type": "room_removed", "room_id": room}


def test_presence_in_a_quiet_room_outlives_its_ttl_while_other_rooms_are_busy(base_url, ws_processes):
    """Each process rewrites its presence before the TTL (3 s here) on a deadline: changes that keep
    coming in other rooms must not hold back the refresh of the quiet ones."""
    idle = person_on(base_url, ws_processes[0])
    quiet_room, busy_room = idle.create_room(), idle.create_room()
    held = idle.connect(quiet_room)
    churner = person_on(base_url, ws_processes[0])
    observer = person_on(base_url, ws_processes[1])
    assert idle.id in connected_ids(observer, quiet_room)
    deadline = time.monotonic() + 5  # well past the TTL
    while time.monotonic() < deadline:
        churner.connect(busy_room).close()  # a join and a leave, each a change of presence
        time.sleep(0.1)
    assert idle.id in connected_ids(observer, quiet_room)
    held.close()


def test_batches_from_several_processes_over_the_same_rooms_neither_deadlock_nor_leave_gaps(base_url, ws_processes):
    """Each process stores its batch in one statement that locks the batch's rooms; two batches over
    the same rooms, stored by two processes at once, lock them in the same order."""
    owner = person_on(base_url, ws_processes[0])
    rooms = [owner.create_room() for _ in range(5)]
    senders = [person_on(base_url, process) for process in ws_processes for _ in range(4)]
    for sender in senders:
        for room in rooms:
            assert sender.post(f"/ws/rooms/{room}/members").status_code == 200

    def send(number):
        sender = senders[number % len(senders)]
        room = rooms[(number * 7 + number // len(senders)) % len(rooms)]  # each sender wanders the rooms
        return sender.post(f"/ws/rooms/{room}/messages", json={"content": f"m{number}"}).status_code

    with ThreadPoolExecutor(36) as pool:
        statuses = list(pool.map(send, range(600)))
    assert set(statuses) == {201}
    counts = [len(stored_history(owner, room)) for room in rooms]
    assert sum(counts) == 600
    for room, count in zip(rooms, counts, strict=True):
        assert [seq for seq, _ in stored_history(owner, room)] == list(range(1, count + 1))


def stage_counts(process):
    metrics = requests.get(f"{process.url}/ws/metrics", headers=METRICS_HEADERS, timeout=10).text
    return {
        stage: float(count)
        for stage, count in re.findall(r'^parley_message_stage_seconds_count\{stage="(\w+)"\} (\S+)$', metrics, re.M)
    }


def test_each_stage_of_a_message_is_timed_on_the_processes_it_passes(base_url, ws_processes):
    sender = person_on(base_url, ws_processes[0])
    room = sender.create_room()
    listening = same_person_on(sender, ws_processes[1]).connect(room)
    before = [stage_counts(process) for process in ws_processes[:2]]
    sent = sender.post(f"/ws/rooms/{room}/messages", json={"content": "timed"}).json()
    assert listening.stored_events(1)[0]["id"] == sent["id"]
    after = [stage_counts(process) for process in ws_processes[:2]]
    grew = [
        {stage for stage in now if now[stage] > then.get(stage, 0)} for then, now in zip(before, after, strict=True)
    ]
    assert {"queued", "stored", "published"} <= grew[0]  # where it was sent
    assert {"crossed", "hub", "handed"} <= grew[1]  # where it was delivered
