"""Fixtures that start the real things once per test run: a PostgreSQL database of the run's own,
and the all-in-one process serving it over real HTTP."""

import contextlib
import hashlib
import json
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests
import websocket
from psycopg2 import sql

from db.migrate import apply_migrations, migration_files
from shared.config import Config

REPO = Path(__file__).resolve().parent.parent
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(url):
    try:
        psycopg2.connect(url, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_http(url, data):
    """What the server at `url` answers to `data` sent as is, up to its closing the connection."""
    with socket.create_connection((urlsplit(url).hostname, urlsplit(url).port), timeout=10) as connection:
        connection.sendall(data)
        return b"".join(iter(lambda: connection.recv(65536), b""))


def assert_no_secret_in(log_lines, person, *other_secrets):
    """Neither `person`'s password nor their token (whole, or its signature alone) is in any line."""
    secrets = [person.password, person.token, person.token.split(".")[2], *other_secrets]
    for line in log_lines:
        for secret in secrets:
            assert secret not in line, f"a secret reached the log: {line[:300]}"


@contextlib.contextmanager
def descriptor_limit_at_least(wanted):
    """Raise this process's soft descriptor limit (and so its children's) to `wanted`, for a while."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard == resource.RLIM_INFINITY or hard >= wanted, f"the hard descriptor limit {hard} is below {wanted}"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def database_url_named(admin_url, name):
    """`admin_url` with its database replaced by `name`."""
    params = psycopg2.extensions.parse_dsn(admin_url)
    params["dbname"] = name
    return psycopg2.extensions.make_dsn(**params)


def as_in_history(message):
    """A new root message's event as history shows it: with its reactions and thread, none yet."""
    return {**message, "reactions": [], "reply_count": 0, "last_reply_at": None}


def eventually(predicate, timeout=10, what="the condition"):
    """Wait until `predicate()` is true (returning its value), polling; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"{what} did not come true in {timeout} s"
        time.sleep(0.02)
    return value


def wait_until_healthy(base_url, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if requests.get(f"{base_url}/auth/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base_url} did not become healthy in {timeout} s")


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory):
    """A PostgreSQL server to make throwaway databases in: TEST_DATABASE_URL, else the local
    server on 127.0.0.1:5432, else an embedded one started for this run."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
    elif _answers(LOCAL_POSTGRES):
        yield LOCAL_POSTGRES
    else:
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
        yield server.get_uri()


def migrations_digest():
    """A digest of every migration file: a template built from other migrations has another name."""
    digest = hashlib.sha256()
    for path in migration_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class ThrowawayDatabases:
    """Creates databases on the admin server and drops them all at the end of the run. A migrated one
    is a copy of a template database with the migrations applied, built once per set of migrations and
    kept on the server, so that a run migrates nothing the run before it migrated already."""

    TEMPLATE_PREFIX = "parley_template_"

    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.names = []
        self._template = None

    def _execute(self, statement):
        conn = psycopg2.connect(self.admin_url)
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else None
        finally:
            conn.close()

    def template(self):
        """The migrated template's name, built under a name of its own and renamed when complete, so
        that concurrent runs never clone a half-migrated one."""
        if self._template is None:
            name = self.TEMPLATE_PREFIX + migrations_digest()
            found = self._execute(sql.SQL("SELECT 1 FROM pg_database WHERE datname = {}").format(sql.Literal(name)))
            if not found:
                building = f"parley_building_{uuid.uuid4().hex[:12]}"
                self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
                try:
                    apply_migrations(database_url_named(self.admin_url, building))
                    self._execute(
                        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(building), sql.Identifier(name))
                    )
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another run finished the same template first
                finally:
                    self._execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(building)))
                self._drop_templates_other_than(name)
            self._template = name
        return self._template

    def _drop_templates_other_than(self, name):
        """Templates of older migrations: dropped, unless a run is copying one right now."""
        rows = self._execute(
            sql.SQL("SELECT datname FROM pg_database WHERE datname LIKE {} AND datname <> {}").format(
                sql.Literal(self.TEMPLATE_PREFIX + "%"), sql.Literal(name)
            )
        )
        for (old,) in rows:
            with contextlib.suppress(psycopg2.errors.ObjectInUse):
                self._execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))

    def create(self, migrated=True):
        name = f"parley_test_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if migrated:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(self.template()))
        self._execute(statement)
        self.names.append(name)
        return database_url_named(self.admin_url, name)

    def drop_all(self):
        for name in self.names:
            self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def databases(postgres_admin_url):
    throwaway = ThrowawayDatabases(postgres_admin_url)
    yield throwaway
    throwaway.drop_all()


@pytest.fixture(scope="session")
def database_url(databases):
    """The run's migrated database, shared by the tests and the server."""
    return databases.create()


@pytest.fixture
def db_cursor(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


@pytest.fixture(scope="session")
def config(database_url):
    return Config(database_url=database_url, jwt_secret=TEST_SERVER_SETTINGS["JWT_SECRET"])


# The suite registers hundreds of people from one address into databases its servers share; the
# login and registration limits are tested on servers of their own (tests/auth_service/test_limits.py),
# as are the room creation and upload limits.
# bcrypt at its cheapest, since each of those people costs two hashes; the production cost is
# tested by the tests about hashing (tests/auth_service/test_passwords.py).
# One signing key for the run, shared by its servers and the tests that make tokens themselves.
TEST_SERVER_SETTINGS = {
    "LOGIN_ATTEMPTS_PER_ADDRESS": "0",
    "LOGIN_FAILURES_PER_USERNAME": "0",
    "LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS": "0",
    "ROOM_CREATIONS_PER_HOUR": "0",
    "ATTACHMENT_UPLOADS_PER_HOUR": "0",
    "REGISTRATIONS_PER_ADDRESS": "0",
    "BCRYPT_ROUNDS": "4",
    "JWT_SECRET": secrets.token_urlsafe(48),
    "METRICS_TOKEN": secrets.token_urlsafe(16),
    # Unsent uploads are looked for every second rather than every hour, so a test sees them go.
    "ATTACHMENT_CLEANUP_SECONDS": "1",
}
METRICS_HEADERS = {"Authorization": f"Bearer {TEST_SERVER_SETTINGS['METRICS_TOKEN']}"}


def server_of_its_own(database_url, tmp_path_factory, name, settings):
    """For a fixture to `yield from`: an all-in-one process of its own on the run's database, with
    `settings` over the tests' defaults (its log in a folder named `name`), stopped afterwards."""
    server = RunningServer({"DATABASE_URL": database_url, **settings}, tmp_path_factory.mktemp(name) / "server.log")
    try:
        yield server
    finally:
        server.stop()


class RunningServer:
    """A `python -m all_in_one` process, as `make run` starts it."""

    def __init__(self, env, output_path, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Its logs (stderr) and, apart, what it says to the person who started it (stdout).
        self.output_path = Path(output_path)
        self.stdout_path = self.output_path.with_suffix(".stdout")
        self._output = open(self.output_path, "ab")
        self._stdout = open(self.stdout_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "all_in_one"],
            cwd=REPO,
            env={**os.environ, **TEST_SERVER_SETTINGS, **env, "PORT": str(self.port)},
            stdout=self._stdout,
            stderr=self._output,
        )
        wait_until_healthy(self.url, self.process)

    def log_lines(self):
        return self.output_path.read_text(errors="replace").splitlines()

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        finally:
            self._output.close()
            self._stdout.close()


class GunicornService:
    """One service under its own gunicorn command line, gevent worker, as compose runs it."""

    def __init__(self, service, env, output_path, extra_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._output = open(output_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-k",
                "gevent",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{self.port}",
                *extra_args,
                f"{service}.wsgi:app",
            ],
            cwd=REPO,
            env={**os.environ, **TEST_SERVER_SETTINGS, **env},
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, f"gunicorn {service} exited"
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"gunicorn {service} never became healthy"
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        finally:
            self._output.close()


# Tests send bursts no person would; the limit itself is tested on a server of its own.
GENEROUS_LIMITS = {"MESSAGE_RATE_PER_SECOND": "1000", "MESSAGE_BURST": "1000"}


@pytest.fixture(scope="session")
def server(database_url, tmp_path_factory):
    running = RunningServer(
        {"DATABASE_URL": database_url, **GENEROUS_LIMITS}, tmp_path_factory.mktemp("server") / "output.log"
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


class Person:
    """One user of Parley, talking to it over HTTP with their own session."""

    def __init__(self, base_url, username=None, password="correct horse battery", ws_base_url=None):
        self.base_url = base_url
        # Where /ws/ paths go: the gateway itself, or a ws_service process of its own.
        self.ws_base_url = ws_base_url or base_url
        self.username = username or f"u{uuid.uuid4().hex[:12]}"
        self.password = password
        self.token = None
        self.id = None

    def register(self):
        response = requests.post(
            f"{self.base_url}/auth/register", json={"username": self.username, "password": self.password}
        )
        assert response.status_code == 201, response.text
        self.id = response.json()["id"]
        return self

    def login(self):
        response = requests.post(
            f"{self.base_url}/auth/login", json={"username": self.username, "password": self.password}
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return self

    def request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        base = self.ws_base_url if path.startswith("/ws/") else self.base_url
        return requests.request(method, f"{base}{path}", headers=headers, timeout=40, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def create_room(self, private=False, name=None):
        response = self.post(
            "/ws/createRoom", json={"name": name or f"room-{uuid.uuid4().hex[:10]}", "private": private}
        )
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def all_rooms(self):
        """Every room this person can see, by id, from every page of getRooms."""
        rooms, after = {}, 0
        while after is not None:
            page = self.get(f"/ws/getRooms?after_id={after}&limit=500").json()
            rooms.update((room["id"], room) for room in page["rooms"])
            after = page["next_after_id"]
        return rooms

    def room_named(self, name):
        """The id of the room called `name` that this person can see."""
        return next(room["id"] for room in self.all_rooms().values() if room["name"] == name)

    def connect(self, room_id, after=None, **options):
        """A WebSocket to the room, past its hello frame (kept as .hello)."""
        return RoomSocket.open(self, room_id, after, **options)

    def events(self, **options):
        """The person's own event stream (/ws/events), past its hello frame."""
        return RoomSocket.open_path(self, "/ws/events", **options)


class RoomSocket:
    """A test client's WebSocket to one room (or to the user's event stream), reading JSON frames."""

    # Every one opened, so that a test's end drops those it left open (close_sockets_left_open): a
    # server then stops at once instead of waiting out close handshakes nobody reads.
    opened: ClassVar[list["RoomSocket"]] = []

    def __init__(self, ws):
        self.ws = ws
        self.hello = None

    @classmethod
    def open(cls, person, room_id, after=None, **options):
        path = f"/ws/joinRoom/{room_id}" + (f"?after={after}" if after is not None else "")
        return cls.open_path(person, path, **options)

    @classmethod
    def open_path(cls, person, path, headers=None, sockopt=(), timeout=10, origin=None):
        url = person.ws_base_url.replace("http://", "ws://") + path
        headers = headers if headers is not None else [f"Authorization: Bearer {person.token}"]
        # Like a browser, websocket-client sends the server's own origin unless told another.
        ws = websocket.create_connection(
            url, header=headers, timeout=timeout, sockopt=sockopt, **({"origin": origin} if origin else {})
        )
        opened = cls(ws)
        cls.opened.append(opened)
        opened.hello = opened.receive()
        assert opened.hello["type"] == "hello", opened.hello
        return opened

    def send(self, **frame):
        self.ws.send(json.dumps(frame))

    def receive(self, timeout=10):
        self.ws.settimeout(timeout)
        opcode, data = self.ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise SocketClosed(int.from_bytes(data[:2], "big") if len(data) >= 2 else None)
        return json.loads(data)

    def receive_until(self, predicate, timeout=10):
        """Frames up to and including the first that satisfies `predicate`."""
        frames = []
        deadline = time.monotonic() + timeout
        while True:
            frames.append(self.receive(timeout=max(0.1, deadline - time.monotonic())))
            if predicate(frames[-1]):
                return frames

    def stored_events(self, count, timeout=10):
        """The next `count` stored events (frames with a seq), skipping presence frames."""
        events = []
        deadline = time.monotonic() + timeout
        while len(events) < count:
            frame = self.receive(timeout=max(0.1, deadline - time.monotonic()))
            if "seq" in frame:
                events.append(frame)
        return events

    def close_code(self, timeout=10):
        """Read until the server closes; its close code."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.receive(timeout=max(0.1, deadline - time.monotonic()))
            except SocketClosed as closed:
                self.ws.shutdown()  # as a browser drops the connection after the close handshake
                return closed.code

    def close(self):
        self.ws.close()


@pytest.fixture(autouse=True)
def close_sockets_left_open():
    """After each test, drop the sockets it opened (not those of wider fixtures, opened before)."""
    already_open = len(RoomSocket.opened)
    yield
    drop_sockets_opened_since(already_open)


def drop_sockets_opened_since(already_open):
    """Drop the sockets opened after the first `already_open`: a fixture stopping ws_service processes
    does so first, or each process waits out its close grace for clients that never answer."""
    while len(RoomSocket.opened) > already_open:
        RoomSocket.opened.pop().ws.shutdown()


class SocketClosed(Exception):
    def __init__(self, code):
        super().__init__(f"closed with {code}")
        self.code = code


@pytest.fixture
def person(base_url):
    """A registered, logged-in user."""
    return Person(base_url).register().login()


@pytest.fixture
def new_person(base_url):
    """Makes people who are not registered yet."""
    return lambda **kwargs: Person(base_url, **kwargs)


class RedisServer:
    """A redis-server of the test's own, so that a test can stop it and start it again. `env`: what a
    ws_service process is given to use it."""

    def __init__(self, output_path, extra_args=()):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.env = {"REDIS_URL": self.url}
        self._output_path = output_path
        self._extra_args = list(extra_args)
        self.process = None
        self.start()

    def start(self):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed: `make test` installs it with apt-get"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                *self._extra_args,
            ],
            stdout=open(self._output_path, "ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class RedisClusterServers:
    """A Redis Cluster of the test's own: three redis-server nodes (Debian's, 7 or later: sharded
    pub/sub) holding every slot between them, no replicas. Stopped and started again, whole or one
    node at a time, it forms again from each node's nodes.conf."""

    NODES = 3

    def __init__(self, folder):
        self.nodes = []
        for n in range(self.NODES):
            node_dir = folder / f"node{n}"
            node_dir.mkdir(parents=True)
            cluster_args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--dir", str(node_dir)]
            # The bus's own port: by default the node's plus 10,000, past 65,535 for a high free port.
            cluster_args += ["--cluster-port", str(free_port())]
            self.nodes.append(RedisServer(node_dir / "redis.log", cluster_args))
        # Any node will do: the client learns the others from it.
        self.url = f"redis://127.0.0.1:{self.nodes[0].port}"
        self.env = {"REDIS_URL": self.url, "REDIS_CLUSTER": "1"}
        created = subprocess.run(
            [
                shutil.which("redis-cli"),
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        self.wait_until_whole()

    def wait_until_whole(self, timeout=30):
        """Until every node says the cluster is ok (every slot served)."""
        deadline = time.monotonic() + timeout
        while not all(self._state(node) == "ok" for node in self.nodes):
            assert time.monotonic() < deadline, "the Redis Cluster did not form"
            time.sleep(0.1)

    def _state(self, node):
        info = self._cli(node, "cluster", "info")
        return next(
            (line.split(":")[1].strip() for line in info.splitlines() if line.startswith("cluster_state:")), None
        )

    def node_of(self, key):
        """The node that owns `key`'s hash slot."""
        slot = int(self._cli(self.nodes[0], "cluster", "keyslot", key))
        for line in self._cli(self.nodes[0], "cluster", "nodes").splitlines():
            fields = line.split()
            port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
            for owned in fields[8:]:
                first, _, last = owned.partition("-")
                if int(first) <= slot <= int(last or first):
                    return next(node for node in self.nodes if node.port == port)
        raise AssertionError(f"no node owns slot {slot}")

    @staticmethod
    def _cli(node, *command):
        return subprocess.run(
            [shutil.which("redis-cli"), "-p", str(node.port), *command], capture_output=True, text=True, timeout=10
        ).stdout.strip()

    def stop(self):
        for node in self.nodes:
            node.stop()

    def start(self):
        for node in self.nodes:
            node.start()
        self.wait_until_whole()
