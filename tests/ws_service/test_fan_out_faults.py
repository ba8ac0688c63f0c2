"""Faults with several ws_service processes under traffic: a process killed, Redis restarted,
PostgreSQL restarted. Each test ends by comparing every client's events with the stored history: nothing lost,
nothing twice, the same order."""

import json
import signal
import threading
import time

import psycopg2
import pytest
import redis
import requests
import websocket

from db.migrate import apply_migrations
from tests.conftest import (
    GENEROUS_LIMITS,
    GunicornService,
    Person,
    RedisServer,
    RoomSocket,
    RunningServer,
    SocketClosed,
    drop_sockets_opened_since,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis.log")
    yield server
    server.stop()


def two_ws_processes(database_url, broker_env, folder):
    """For a fixture to `yield from`: two ws_service processes sharing the Redis `broker_env` names;
    the test's sockets are dropped before they stop."""
    env = {"DATABASE_URL": database_url, **broker_env, "PRESENCE_TTL_SECONDS": "3", **GENEROUS_LIMITS}
    already_open = len(RoomSocket.opened)
    processes = [GunicornService("ws_service", env, folder / f"ws{i}.log") for i in range(2)]
    yield processes
    drop_sockets_opened_since(already_open)
    for process in processes:
        if process.process.poll() is None:
            process.stop()


@pytest.fixture
def two_processes(database_url, redis_server, tmp_path):
    yield from two_ws_processes(database_url, redis_server.env, tmp_path)


class Follower:
    """A client that keeps every stored event it receives and, when its socket dies,
    reconnects (to the next address it is given) with after= its last seq."""

    def __init__(self, person, room, urls):
        self.person, self.room, self.urls = person, room, list(urls)
        self.events = []
        self.reconnections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._socket = self._connect()
        self._thread.start()

    def _connect(self):
        self.person.ws_base_url = self.urls[0]
        last = self.events[-1]["seq"] if self.events else None
        return self.person.connect(self.room, after=last)

    def _run(self):
        while not self._stop.is_set():
            try:
                frame = self._socket.receive(timeout=0.5)
            except websocket.WebSocketTimeoutException:
                continue
            except (SocketClosed, websocket.WebSocketException, OSError):
                self.urls.pop(0) if len(self.urls) > 1 else None
                self._socket = self._reconnect()
                continue
            if "seq" in frame:
                self.events.append(frame)

    def _reconnect(self):
        for _ in range(100):
            try:
                self.reconnections += 1
                return self._connect()
            except (websocket.WebSocketException, OSError):
                time.sleep(0.1)
        raise AssertionError("could not reconnect")

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            assert time.monotonic() < deadline, f"{len(self.events)} of {count} events"
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(timeout=5)
        return [(e["seq"], e["id"]) for e in self.events]


def history(person, room):
    return [(e["seq"], e["id"]) for e in person.get(f"/ws/rooms/{room}/messages?limit=500").json()["events"]]


def keep_sending(person, room, count, pause=0.02, answers=None):
    """Send `count` messages, retrying each (same client_id, so never twice) until it is stored.
    `answers`, if given, collects every status (None: no connection)."""
    sent = 0
    deadline = time.monotonic() + 60
    while sent < count:
        assert time.monotonic() < deadline, f"only {sent} of {count} messages could be sent"
        try:
            response = person.post(f"/ws/rooms/{room}/messages", json={"content": f"n{sent}", "client_id": f"k{sent}"})
            status = response.status_code
            if status in (200, 201):
                sent += 1
        except requests.ConnectionError:
            status = None  # the process answering died: try again
        if answers is not None:
            answers.append(status)
        time.sleep(pause)


def test_a_process_killed_under_traffic_loses_no_stored_message(base_url, two_processes):
    doomed, survivor = two_processes
    sender = Person(base_url, ws_base_url=survivor.url).register().login()
    room = sender.create_room()
    on_doomed = Follower(Person(base_url).register().login(), room, [doomed.url, survivor.url])
    on_survivor = Follower(Person(base_url).register().login(), room, [survivor.url])
    total = 80
    sending = threading.Thread(target=keep_sending, args=(sender, room, total))
    sending.start()
    while len(on_doomed.events) < 20:
        time.sleep(0.01)
    doomed.process.send_signal(signal.SIGKILL)
    sending.join()
    stored = history(sender, room)
    assert len(stored) == total
    assert on_doomed.wait_for(total) == stored
    assert on_survivor.wait_for(total) == stored
    assert on_doomed.reconnections >= 1


def test_a_killed_process_leaves_no_ghosts_past_the_presence_expiry(base_url, two_processes):
    doomed, survivor = two_processes
    ghost = Person(base_url, ws_base_url=doomed.url).register().login()
    watcher = Person(base_url, ws_base_url=survivor.url).register().login()
    room = ghost.create_room()
    ghost.connect(room)
    deadline = time.monotonic() + 10
    while ghost.id not in [c["id"] for c in watcher.get(f"/ws/getClients/{room}").json()["clients"]]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    doomed.process.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10  # the expiry is 3 s here
    while ghost.id in [c["id"] for c in watcher.get(f"/ws/getClients/{room}").json()["clients"]]:
        assert time.monotonic() < deadline, "the dead process's user is still online"
        time.sleep(0.2)


def nothing_lost_across(base_url, processes, outage, what):
    """Messages sent through the first process, to followers on each, while `outage()` takes the
    broker away and brings it back: every follower ends with exactly the stored history, and every
    process is healthy again."""
    sender = Person(base_url, ws_base_url=processes[0].url).register().login()
    room = sender.create_room()
    followers = [Follower(Person(base_url).register().login(), room, [process.url]) for process in processes]
    total = 60
    sending = threading.Thread(target=keep_sending, args=(sender, room, total, 0.05))
    sending.start()
    while len(followers[1].events) < 15:
        time.sleep(0.01)
    outage(room)
    sending.join()
    stored = history(sender, room)
    assert len(stored) == total
    for follower in followers:
        assert follower.wait_for(total) == stored
    deadline = time.monotonic() + 15
    while any(requests.get(f"{process.url}/healthz").status_code != 200 for process in processes):
        assert time.monotonic() < deadline, f"ws_service did not recover from {what}"
        time.sleep(0.1)


def test_redis_restarted_during_traffic_loses_nothing_and_clients_catch_up(base_url, two_processes, redis_server):
    def restart(_room):
        redis_server.stop()
        health = requests.get(f"{two_processes[1].url}/healthz")
        assert health.status_code == 503
        assert health.json()["checks"]["broker"] == "unavailable"
        time.sleep(1)
        redis_server.start()

    nothing_lost_across(base_url, two_processes, restart, "the Redis restart")


@pytest.fixture
def restartable_postgres(tmp_path):
    """A PostgreSQL server of the test's own (pgserver), since the test stops and starts it."""
    import pgserver
    from pgserver._commands import pg_ctl

    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="stop")
    conn = psycopg2.connect(server.get_uri())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("CREATE DATABASE parley")
    conn.close()
    url = server.get_uri("parley")
    apply_migrations(url)
    server.stop = lambda: pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    server.start = server.ensure_postgres_running
    yield server, url
    server.cleanup()


def test_postgres_restarted_during_traffic_gives_503_meanwhile_and_loses_no_accepted_message(
    restartable_postgres, redis_server, tmp_path
):
    postgres, url = restartable_postgres
    env = {"DATABASE_URL": url, "REDIS_URL": redis_server.url, **GENEROUS_LIMITS}
    gateway = RunningServer(env, tmp_path / "all_in_one.log")
    processes = [GunicornService("ws_service", env, tmp_path / f"ws{i}.log") for i in range(2)]
    try:
        sender = Person(gateway.url, ws_base_url=processes[0].url).register().login()
        room = sender.create_room()
        followers = [Follower(Person(gateway.url).register().login(), room, [process.url]) for process in processes]
        total, answers = 80, []
        sending = threading.Thread(target=keep_sending, args=(sender, room, total, 0.02, answers))
        sending.start()
        while len(followers[1].events) < 15:
            time.sleep(0.01)
        postgres.stop()
        health = requests.get(f"{processes[1].url}/healthz")
        assert health.status_code == 503 and health.json()["checks"]["database"] == "unavailable"
        time.sleep(2)
        postgres.start()
        sending.join()
        assert 503 in answers, "no send was refused while the database was down"
        assert None not in answers, "a process stopped answering instead of saying 503"
        stored = history(sender, room)
        assert [seq for seq, _ in stored] == list(range(1, total + 1))
        for follower in followers:
            assert follower.wait_for(total) == stored
        for process in processes:
            assert requests.get(f"{process.url}/healthz").status_code == 200
    finally:
        for process in processes:
            process.stop()
        gateway.stop()


def test_a_malformed_payload_on_a_room_channel_is_skipped_and_delivery_goes_on(two_processes, redis_server, base_url):
    sender = Person(base_url, ws_base_url=two_processes[0].url).register().login()
    reader = Person(base_url, ws_base_url=two_processes[1].url).register().login()
    room = sender.create_room()
    listening = reader.connect(room)
    channel = f"parley:room:{room}"
    publisher = redis.Redis.from_url(redis_server.url)
    for payload in (b"not json", b"[]", b'{"origin": "x"}', b'{"origin": "x", "event": 7}', b"\xff\xfe"):
        assert publisher.publish(channel, payload) == 1  # the reader's process follows the room
    sent = sender.post(f"/ws/rooms/{room}/messages", json={"content": "after the noise"})
    assert sent.status_code == 201
    assert listening.stored_events(1)[0] == sent.json()
    for process in two_processes:
        assert requests.get(f"{process.url}/healthz").status_code == 200


def test_an_error_after_the_upgrade_is_an_error_frame_and_a_close_1011(two_processes, redis_server, base_url):
    person = Person(base_url, ws_base_url=two_processes[0].url).register().login()
    room = person.create_room()
    redis_server.stop()  # the upgrade's checks need only PostgreSQL; the hello needs Redis
    url = two_processes[0].url.replace("http://", "ws://") + f"/ws/joinRoom/{room}"
    ws = websocket.create_connection(url, header=[f"Authorization: Bearer {person.token}"], timeout=15)
    opcode, data = ws.recv_data()
    assert opcode == websocket.ABNF.OPCODE_TEXT, data
    assert json.loads(data)["code"] == "broker_unavailable"
    opcode, data = ws.recv_data()
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 1011
