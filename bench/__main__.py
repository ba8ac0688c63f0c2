"""`python -m bench [--quick]` (what `make bench` runs): each scenario against Parley and against the
peer baseline in the same run; writes bench/results/latest.json and latest.md."""
import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2
from psycopg2 import sql

from bench import fanout

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(command, core):
    """Run the server on its own core where there are two, so the load generator is not its rival."""
    if (os.cpu_count() or 1) >= 2 and os.path.exists("/usr/bin/taskset"):
        return ["/usr/bin/taskset", "-c", str(core), *command]
    return command


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def post(url, body, token=None):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json",
                                     **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class Parley:
    """A throwaway database, the all-in-one process (for accounts) and ws_service under gunicorn,
    pinned to core 0: the process whose speed is measured."""

    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.database = f"parley_bench_{os.getpid()}"
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        params = psycopg2.extensions.parse_dsn(admin_url)
        self.database_url = psycopg2.extensions.make_dsn(**{**params, "dbname": self.database})
        env = {**os.environ, "DATABASE_URL": self.database_url, "MESSAGE_RATE_PER_SECOND": "1000000",
               "MESSAGE_BURST": "1000000", "WS_CONNECTIONS_PER_USER": "100000", "WS_OUTBOX_FRAMES": "100000"}
        self.gateway_port, self.ws_port = free_port(), free_port()
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "all_in_one"], cwd=REPO, env={**env, "PORT": str(self.gateway_port)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen(pinned([sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1",
                                     "--worker-connections", "20000", "-b", f"127.0.0.1:{self.ws_port}",
                                     "ws_service.wsgi:app"], 0),
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        wait_for(f"http://127.0.0.1:{self.gateway_port}/auth/healthz")
        wait_for(f"http://127.0.0.1:{self.ws_port}/healthz")
        gateway = f"http://127.0.0.1:{self.gateway_port}"
        post(f"{gateway}/auth/register", {"username": "bench", "password": "bench-password"})
        self.token = post(f"{gateway}/auth/login", {"username": "bench", "password": "bench-password"})["access_token"]

    def _admin(self, statement):
        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement)
        conn.close()

    def room_url(self):
        room = post(f"http://127.0.0.1:{self.ws_port}/ws/createRoom", {"name": f"bench {time.time_ns()}"}, self.token)
        return f"ws://127.0.0.1:{self.ws_port}/ws/joinRoom/{room['id']}", {"Authorization": f"Bearer {self.token}"}

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.wait(timeout=30)
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))


class Peer:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(pinned([sys.executable, "-m", "bench.peer_server", str(self.port)], 0),
                                        cwd=REPO)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the peer server did not start"
                time.sleep(0.05)

    def room_url(self):
        return f"ws://127.0.0.1:{self.port}/rooms/{time.time_ns()}", None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def fan_out_rows(parley, peer, sockets, messages):
    figures = {}
    for name, target in (("parley", parley), ("peer", peer)):
        url, headers = target.room_url()
        figures[name] = asyncio.run(fanout.measure(url, sockets, messages, headers))
    return [{"scenario": f"fan-out: 1 room of {sockets} sockets, one sender", "metric": "deliveries/s",
             "parley": round(figures["parley"]), "peer": round(figures["peer"]),
             "ratio": round(figures["parley"] / figures["peer"], 3), "unit": "deliveries/s"}]


def markdown(results):
    lines = ["| scenario | metric | Parley | peer | Parley / peer |", "|---|---|---:|---:|---:|"]
    for row in results["rows"]:
        lines.append(f"| {row['scenario']} | {row['metric']} | {row['parley']} | {row['peer']} | {row['ratio']} |")
    lines.append("")
    lines.append(f"Machine: {results['machine']['cpus']} cores, {results['machine']['platform']}; "
                 f"{results['machine']['pinning']}.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds a scenario")
    parser.add_argument("--sockets", type=int, default=None)
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    sockets = args.sockets or (50 if args.quick else 1000)
    messages = args.messages or (50 if args.quick else 200)
    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parley, peer = Parley(admin_url), Peer()
    try:
        rows = fan_out_rows(parley, peer, sockets, messages)
    finally:
        parley.stop()
        peer.stop()
    cpus = os.cpu_count() or 1
    results = {"rows": rows, "machine": {
        "cpus": cpus, "platform": platform.platform(), "python": platform.python_version(),
        "pinning": "server on core 0, load generator on the others" if cpus >= 2 else "no pinning (one core)"}}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.output / "latest.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
