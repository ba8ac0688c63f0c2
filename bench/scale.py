"""The scale figures docs/scaling.md plans from (`--only scale`), each beside a baseline measured in
the same run: the cost of a message in one ws_service process, with the Redis hop, and spread over
two processes (the same total load); Redis pub/sub throughput on one core (against PING on the same
server); and stored messages a second with group commit (against the stored peer). The servers,
PostgreSQL and Redis share core 0, the load generator has core 1: two processes on one core show
what spreading costs, not what a second core gains. The figures go into latest.json under
"figures", which bench/capacity.py reads."""

import os
import re
import shutil
import subprocess
import time
import urllib.request

import psycopg2

from bench import load, scenarios
from bench.targets import (
    UNLIMITED,
    Server,
    ThrowawayDatabase,
    free_port,
    gunicorn,
    pinned,
    wait_for_port,
)
from bench.targets import Parley as OneProcess

PAYLOAD = "x" * 200  # about a message event's envelope on a room's channel


class WsProcesses(Server):
    """One auth_service and `count` ws_service processes (one gevent worker each) on a throwaway
    database, with a Redis of their own when `redis`; all on core 0."""

    def __init__(self, admin_url, count, redis):
        self.database = ThrowawayDatabase(admin_url, f"parley_bench_scale_{os.getpid()}_{count}_{int(redis)}")
        self.auth_port = free_port()
        self.ws_ports = [free_port() for _ in range(count)]
        env = {**os.environ, **UNLIMITED, "DATABASE_URL": self.database.url}
        commands = []
        if redis:
            redis_port = free_port()
            commands.append(
                pinned([shutil.which("redis-server"), "--port", str(redis_port), "--save", "", "--appendonly", "no"])
            )
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        commands.append(gunicorn("auth_service.wsgi:app", self.auth_port))
        commands += [gunicorn("ws_service.wsgi:app", port, "--worker-connections", "20000") for port in self.ws_ports]
        super().__init__(commands, env)
        if redis:
            wait_for_port(redis_port, "redis-server")
        self.auth = f"http://127.0.0.1:{self.auth_port}"
        self.http = f"http://127.0.0.1:{self.ws_ports[0]}"
        self.wait_healthy(f"{self.auth}/healthz", *(f"http://127.0.0.1:{port}/healthz" for port in self.ws_ports))

    account = OneProcess.account
    create_room = OneProcess.create_room

    @property
    def pid(self):
        return self.processes[-1].pid

    def roots(self):
        return [process.pid for process in self.processes]

    def room_urls(self, room_id):
        """The room's address on each process."""
        return [f"ws://127.0.0.1:{port}/ws/joinRoom/{room_id}" for port in self.ws_ports]

    def stop(self):
        super().stop()
        self.database.drop()


def spread_latency(target, token, rooms_count, per_room, seconds, postgres_pids):
    """Scenario 3 with each room's sockets spread evenly over the target's processes."""
    rooms = []
    for n in range(rooms_count):
        urls = target.room_urls(target.create_room(token, f"spread {n}"))
        rooms.append([urls[i % len(urls)] for i in range(per_room)])
    headers = {"Authorization": f"Bearer {token}"}
    with scenarios.CpuSampler([*target.roots(), *postgres_pids]) as sampler:
        (latencies, expected, (start, end)), _ = scenarios.busy(
            target.pid, load.paced_spread_latency(rooms, 1.0, seconds, headers)
        )
    span = end - start
    sent_per_second = rooms_count * per_room
    cpu = {
        kind: used / sent_per_second * 1e6
        for kind, used in sampler.per_second(start + 0.2 * span, end - 0.1 * span).items()
    }
    return [value * 1000 for value in latencies], len(latencies) / max(1, expected), cpu


def settle(admin_url):
    """Let PostgreSQL finish what a new database started (CREATE DATABASE's checkpoint, the
    migrations) before a variant is measured: each variant starts from the same quiet database."""
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    conn.close()
    time.sleep(SETTLE_SECONDS)


SETTLE_SECONDS = 3


def processes_compared(admin_url, postgres_pids, rooms_count, per_room, seconds):
    """One process in memory (the baseline), one with Redis, two with Redis: the same rooms and rate."""
    variants = (
        ("one process, in memory", 1, False),
        ("one process, Redis", 1, True),
        ("two processes, Redis", 2, True),
    )
    measured = {}
    for name, count, redis in variants:
        target = WsProcesses(admin_url, count, redis)
        try:
            settle(admin_url)
            measured[name] = spread_latency(
                target, target.account(f"scale{count}{int(redis)}"), rooms_count, per_room, seconds, postgres_pids
            )
        finally:
            target.stop()
    baseline_ms, baseline_share, baseline_cpu = measured["one process, in memory"]
    label = (
        f"scale: {rooms_count * per_room:,} sockets in {rooms_count} rooms, 1 msg/s each, against one process in memory"
    )
    rows, figures = [], {}
    for name, (latencies, share, cpu) in measured.items():
        figures[name] = {
            "p50_ms": scenarios.percentile(latencies, 0.5),
            "p99_ms": scenarios.percentile(latencies, 0.99),
            "delivered": share,
            "cpu_us_per_message": cpu,
        }
        notes = f"delivered: {share:.2%} (baseline {baseline_share:.2%})"
        for metric, fraction in (("p50", 0.5), ("p99", 0.99)):
            rows.append(
                scenarios.row(
                    label,
                    f"{name}: {metric}",
                    round(scenarios.percentile(latencies, fraction), 1),
                    round(scenarios.percentile(baseline_ms, fraction), 1),
                    "ms",
                    notes,
                )
            )
        for kind in ("ws_service", "Redis", "PostgreSQL"):
            if kind not in cpu:  # no Redis in the in-memory variant
                continue
            rows.append(
                scenarios.row(
                    label,
                    f"{name}: CPU per message sent, {kind}",
                    round(cpu.get(kind, 0.0)),
                    round(baseline_cpu.get(kind, 0.0)),
                    "us",
                    "steady window; all on core 0",
                )
            )
    return rows, figures


def redis_throughput(requests_count=400_000):
    """PUBLISH with one subscriber reading, pipelined, against PING on the same server: redis-server on
    core 0, redis-benchmark and the subscriber (redis-cli) on core 1."""
    port = free_port()
    server = subprocess.Popen(
        pinned([shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no"]),
        stdout=subprocess.DEVNULL,
    )
    subscriber = None
    try:
        wait_for_port(port, "redis-server")
        subscriber = subprocess.Popen(
            [*generator_core(), shutil.which("redis-cli"), "-p", str(port), "subscribe", "parley:room:1"],
            stdout=subprocess.DEVNULL,
        )
        cli = [shutil.which("redis-cli"), "-p", str(port)]
        while subscribers(cli) != "1":  # subscribed before the first publish
            time.sleep(0.01)
        bench = [*generator_core(), shutil.which("redis-benchmark"), "-p", str(port), "-c", "20", "-P", "16", "-q"]
        bench += ["-n", str(requests_count), "--csv"]
        published = _rate(subprocess.run([*bench, "publish", "parley:room:1", PAYLOAD], capture_output=True, text=True))
        still_reading = subscribers(cli)
        pinged = _rate(subprocess.run([*bench, "-t", "ping"], capture_output=True, text=True))
    finally:
        if subscriber is not None:
            subscriber.terminate()
        server.terminate()
        server.wait(timeout=10)
    delivered = still_reading == "1"
    row = scenarios.row(
        "Redis on one core: PUBLISH of a 200-byte event with one subscriber reading, pipelined, 20 clients",
        "messages/s, against PING/s on the same server",
        round(published),
        round(pinged),
        "per second",
        "the subscriber was still reading at the end" if delivered else "the subscriber fell behind and was cut off",
    )
    return [row], {"redis_publishes_per_second": published, "redis_pings_per_second": pinged}


def subscribers(cli):
    return subprocess.run([*cli, "pubsub", "numsub", "parley:room:1"], capture_output=True, text=True).stdout.split()[
        -1
    ]


def generator_core():
    return ["/usr/bin/taskset", "-c", "1"] if (os.cpu_count() or 1) >= 2 and os.path.exists("/usr/bin/taskset") else []


def _rate(finished):
    """requests per second from redis-benchmark --csv (the first number of its last line)."""
    numbers = re.findall(r'"([0-9.]+)"', finished.stdout.strip().splitlines()[-1])
    return float(numbers[0])


def stored_rate(parley, parley_rooms, stored_peer, peer_rooms, rooms_count, messages):
    """A sender and one receiver in each room, every sender as fast as its messages are stored: the
    messages stored a second (one process, group commit) against the stored peer, and the mean batch."""
    batches_before = batch_totals(parley.http)
    parley_rate, parley_load = scenarios.busy(
        parley.ws_pid, load.fan_out(parley_rooms.urls(rooms_count), 1, messages, parley_rooms.headers)
    )
    count, total = (after - before for after, before in zip(batch_totals(parley.http), batches_before, strict=True))
    peer_rate, peer_load = scenarios.busy(
        stored_peer.pid, load.fan_out(peer_rooms.urls(rooms_count), 1, messages, peer_rooms.headers)
    )
    mean_batch = total / count if count else 0.0
    row = scenarios.row(
        f"stored messages: {rooms_count} rooms, a sender and a receiver in each, as fast as they are stored",
        "messages stored/s (one process, group commit), against the stored peer (websockets + asyncpg)",
        round(parley_rate),
        round(peer_rate),
        "per second",
        f"mean batch {mean_batch:.1f} messages; server core busy: Parley {parley_load:.0%}, peer {peer_load:.0%}",
    )
    return [row], {"stored_messages_per_second": parley_rate, "mean_batch": mean_batch, "stored_peer": peer_rate}


def batch_totals(url):
    """(batches, messages) the group committer has stored so far."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    count = float(re.search(r"^parley_message_batch_size_count (\S+)$", text, re.M).group(1))
    total = float(re.search(r"^parley_message_batch_size_sum (\S+)$", text, re.M).group(1))
    return count, total
