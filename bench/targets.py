"""The servers under test, each started as a deployment would start it and pinned to core 0 where
the machine has two (the load generator has the other): Parley's services under gunicorn, Parley
through `make stack`'s own launcher, and the peer baselines."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parent.parent
SERVER_CORE = 0
# One signing key for the run: Parley's services and the HTTP peer check the same tokens.
SECRET = secrets.token_urlsafe(48)
# Limits meant for people, lifted: the benchmark is one account sending as fast as it can.
UNLIMITED = {
    "JWT_SECRET": SECRET,
    "MESSAGE_RATE_PER_SECOND": "1000000",
    "MESSAGE_BURST": "1000000",
    "WS_CONNECTIONS_PER_USER": "100000",
    "WS_OUTBOX_FRAMES": "100000",
    "LOGIN_ATTEMPTS_PER_ADDRESS": "0",
    "LOGIN_FAILURES_PER_USERNAME": "0",
    "LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS": "0",
    "ROOM_CREATIONS_PER_HOUR": "0",
    "REGISTRATIONS_PER_ADDRESS": "0",
}


def pinned(command):
    """Run a server on its own core where there are two, so the load generator is not its rival."""
    if (os.cpu_count() or 1) >= 2 and os.path.exists("/usr/bin/taskset"):
        return ["/usr/bin/taskset", "-c", str(SERVER_CORE), *command]
    return command


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def wait_for_port(port, what, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start") from None
            time.sleep(0.05)


def call(method, url, body=None, token=None):
    request = urllib.request.Request(
        url,
        json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def gunicorn(app, port, *options):
    return pinned(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", *options, "-b", f"127.0.0.1:{port}", app]
    )


def process_tree(pid):
    """`pid` and all its descendants."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:  # it ended meanwhile
        children = []
    for child in children:
        pids += process_tree(int(child))
    return pids


def cpu_seconds(pid):
    """User and system CPU time of a process tree so far."""
    return sum(cpu_seconds_of(each) for each in process_tree(pid))


# What each process of a deployment is, by its command line: CPU per message is counted per kind.
PROCESS_KINDS = (
    ("ws_service.wsgi", "ws_service"),
    ("auth_service.wsgi", "auth_service and user_service"),
    ("user_service.wsgi", "auth_service and user_service"),
    ("nginx", "nginx"),
    ("redis-server", "Redis"),
    ("postgres", "PostgreSQL"),
    ("local_stack", "make stack's launcher"),
)


def process_kind(pid):
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return None
    return next((kind for marker, kind in PROCESS_KINDS if marker in command), "other")


def cpu_by_kind(root_pids):
    """User and system CPU time so far of the process trees under `root_pids`, by kind of process."""
    totals = {}
    for root in root_pids:
        for pid in process_tree(root):
            kind = process_kind(pid)
            if kind is not None:
                totals[kind] = totals.get(kind, 0.0) + cpu_seconds_of(pid)
    return totals


def cpu_seconds_of(pid):
    """User and system CPU time of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class EmbeddedPostgres:
    """A PostgreSQL of the benchmark's own (pgserver), pinned to the servers' core: the database is
    part of the server side, and on the generator's core it would slow the load, not Parley."""

    def __init__(self):
        import pgserver  # only when no BENCH_DATABASE_URL is given

        self._server = pgserver.get_server(tempfile.mkdtemp(prefix="parley-bench-pg-"), cleanup_mode="delete")
        self.admin_url = self._server.get_uri()
        postmaster = int((Path(self._server.pgdata) / "postmaster.pid").read_text().split()[0])
        self.pid = postmaster
        if (os.cpu_count() or 1) >= 2:
            for pid in process_tree(postmaster):  # the backends it forks later inherit the affinity
                os.sched_setaffinity(pid, {SERVER_CORE})

    def stop(self):
        self._server.cleanup()


class ThrowawayDatabase:
    def __init__(self, admin_url, name, migrate=True):
        self.admin_url, self.name = admin_url, name
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        params = psycopg2.extensions.parse_dsn(admin_url)
        self.url = psycopg2.extensions.make_dsn(**{**params, "dbname": name})
        if not migrate:
            return
        migrated = subprocess.run(
            [sys.executable, "-m", "db.migrate"],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": self.url},
        )
        if migrated.returncode != 0:
            self.drop()
            raise SystemExit(f"migrations failed: {migrated.stderr}")

    def drop(self):
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))

    def _admin(self, statement):
        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement)
        conn.close()


class Server:
    """Processes started here; `pid` is the one whose CPU and memory are measured."""

    def __init__(self, commands, env=None, log=None):
        output = open(log, "ab") if log else subprocess.DEVNULL
        self.processes = [
            subprocess.Popen(command, cwd=REPO, env=env or os.environ.copy(), stdout=output, stderr=output)
            for command in commands
        ]

    def wait_healthy(self, *urls, timeout=60):
        """Wait for each URL to answer; if one never does, stop what was started and give up."""
        try:
            for url in urls:
                wait_for(url, timeout)
        except SystemExit:
            self.stop()
            raise

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


class Parley(Server):
    """auth_service and ws_service, each one gunicorn gevent worker on core 0, on a throwaway database."""

    def __init__(self, admin_url):
        self.database = ThrowawayDatabase(admin_url, f"parley_bench_{os.getpid()}")
        self.auth_port, self.ws_port = free_port(), free_port()
        super().__init__(
            [
                gunicorn("auth_service.wsgi:app", self.auth_port),
                gunicorn("ws_service.wsgi:app", self.ws_port, "--worker-connections", "20000"),
            ],
            {**os.environ, **UNLIMITED, "DATABASE_URL": self.database.url},
        )
        self.auth = f"http://127.0.0.1:{self.auth_port}"  # auth_service answers at its root; nginx adds /auth
        self.http = f"http://127.0.0.1:{self.ws_port}"
        self.wait_healthy(f"{self.auth}/healthz", f"{self.http}/healthz")

    @property
    def ws_pid(self):
        return self.processes[1].pid

    @property
    def auth_pid(self):
        return self.processes[0].pid

    def worker_pid(self, master_pid):
        return process_tree(master_pid)[-1]

    def account(self, username, password="bench-password"):
        call("POST", f"{self.auth}/register", {"username": username, "password": password})
        return call("POST", f"{self.auth}/login", {"username": username, "password": password})["access_token"]

    def create_room(self, token, name):
        return call("POST", f"{self.http}/ws/createRoom", {"name": name}, token)["id"]

    def room_url(self, room_id):
        return f"ws://127.0.0.1:{self.ws_port}/ws/joinRoom/{room_id}"

    def stop(self):
        super().stop()
        self.database.drop()


class Stack(Server):
    """`python -m local_stack` (what `make stack` runs): nginx, auth_service, user_service, two
    ws_service processes and a Redis of its own, all on core 0."""

    def __init__(self, admin_url):
        self.database = ThrowawayDatabase(admin_url, f"parley_bench_stack_{os.getpid()}")
        self.data_dir = tempfile.mkdtemp(prefix="parley-bench-stack-")
        self.port = free_port()
        self.log = Path(self.data_dir) / "stack.log"
        super().__init__(
            [pinned([sys.executable, "-m", "local_stack"])],
            {
                **os.environ,
                **UNLIMITED,
                "DATABASE_URL": self.database.url,
                "PORT": str(self.port),
                "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                "PARLEY_DATA_DIR": self.data_dir,
            },
            log=self.log,
        )
        self.http = f"http://127.0.0.1:{self.port}"
        self.auth = f"{self.http}/auth"
        self.wait_healthy(f"{self.http}/ws/healthz", timeout=120)

    @property
    def pid(self):
        return self.processes[0].pid

    account = Parley.account
    create_room = Parley.create_room

    def ws_service_workers(self):
        """The pids of the ws_service gunicorn workers (the masters' children)."""
        masters = [pid for pid in process_tree(self.pid) if process_kind(pid) == "ws_service"]
        return [pid for pid in masters if process_tree(pid) == [pid]]

    def ws_service_urls(self):
        """Each ws_service process's own address (its metrics are there, not behind nginx)."""
        urls = []
        for pid in process_tree(self.pid):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"ws_service.wsgi:app" in command and b"-b" in command:
                urls.append(f"http://{command[command.index(b'-b') + 1].decode()}")
        return sorted(set(urls))

    def restarts(self):
        """How many times gunicorn or the launcher replaced a process that stopped answering or died."""
        text = self.log.read_text(errors="replace")
        return text.count("WORKER TIMEOUT") + text.count("starting it again")

    def room_url(self, room_id):
        return f"ws://127.0.0.1:{self.port}/ws/joinRoom/{room_id}"

    def stop(self):
        super().stop()
        self.database.drop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Peer(Server):
    """The websockets-asyncio room broadcast server (bench/peer_server.py) on core 0."""

    def __init__(self):
        self.port = free_port()
        super().__init__([pinned([sys.executable, "-m", "bench.peer_server", str(self.port)])])
        wait_for_port(self.port, "the peer server")

    @property
    def pid(self):
        return self.processes[0].pid

    def room_url(self, room_id):
        return f"ws://127.0.0.1:{self.port}/rooms/{room_id}"


class StoredPeer(Server):
    """bench/peer_stored.py: the websockets room server storing each message with asyncpg before it
    broadcasts it, on core 0, on a throwaway database of the benchmark's PostgreSQL."""

    def __init__(self, admin_url):
        self.database = ThrowawayDatabase(admin_url, f"parley_bench_peer_{os.getpid()}", migrate=False)
        self.port = free_port()
        super().__init__([pinned([sys.executable, "-m", "bench.peer_stored", str(self.port), self._url()])])
        wait_for_port(self.port, "the stored peer server")

    def _url(self):
        """The database as a URL, which asyncpg wants (libpq's keyword form is what psycopg2 gives)."""
        params = psycopg2.extensions.parse_dsn(self.database.url)
        query = {key: params[key] for key in ("host", "port", "password") if params.get(key)}
        return f"postgresql://{params.get('user', 'postgres')}@/{params['dbname']}?{urllib.parse.urlencode(query)}"

    @property
    def pid(self):
        return self.processes[0].pid

    def room_url(self, room_id):
        return f"ws://127.0.0.1:{self.port}/rooms/{room_id}"

    def stop(self):
        super().stop()
        self.database.drop()


class PeerHttp(Server):
    """bench/peer_http.py: a bare WSGI function under the same gunicorn gevent worker, on core 0."""

    def __init__(self):
        self.port = free_port()
        super().__init__([gunicorn("bench.peer_http:app", self.port)], {**os.environ, "JWT_SECRET": SECRET})
        self.http = f"http://127.0.0.1:{self.port}"
        wait_for_port(self.port, "the peer HTTP server")

    @property
    def pid(self):
        return self.processes[0].pid
