"""The scenarios of issue 7, each run against Parley and against a peer in the same run; each
returns rows of the results table (and, for the plots, the raw series)."""

import asyncio
import functools
import math
import re
import statistics
import threading
import time
import urllib.request

import bcrypt

from bench import load
from bench.targets import cpu_by_kind, cpu_seconds, rss_bytes


def row(scenario, metric, parley, peer, unit, notes=""):
    return {
        "scenario": scenario,
        "metric": metric,
        "parley": parley,
        "peer": peer,
        "ratio": round(parley / peer, 3) if peer else None,
        "unit": unit,
        "notes": notes,
    }


def busy(pid, coroutine):
    """Run `coroutine` to its end; return its result and how busy the server's core was meanwhile (0 to 1+)."""
    cpu, started = cpu_seconds(pid), time.perf_counter()
    result = asyncio.run(coroutine)
    return result, (cpu_seconds(pid) - cpu) / (time.perf_counter() - started)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Rooms:
    """Rooms made on a target, by its own rules: Parley's through its API, the peer's by name."""

    def __init__(self, target, token=None):
        self.target, self.token, self.made = target, token, 0

    def urls(self, count):
        urls = []
        for _ in range(count):
            self.made += 1
            room_id = self.target.create_room(self.token, f"bench {self.made}") if self.token else self.made
            urls.append(self.target.room_url(room_id))
        return urls

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else None


def idle_connections(parley, parley_rooms, peer, peer_rooms, sockets, idle_seconds):
    """Scenario 1: `sockets` idle authenticated sockets held by one process, 100 to a room,
    measured after `idle_seconds` of quiet."""
    per_room = min(100, sockets)
    memory = {}
    for name, pid, rooms in (
        ("parley", parley.worker_pid(parley.ws_pid), parley_rooms),
        ("peer", peer.pid, peer_rooms),
    ):
        urls = [url for url in rooms.urls(max(1, sockets // per_room)) for _ in range(per_room)]
        before = rss_bytes(pid)
        after = asyncio.run(load.hold_idle(urls, rooms.headers, idle_seconds, functools.partial(rss_bytes, pid)))
        memory[name] = (after - before) / len(urls) / 1024
    return [
        row(
            f"idle: {sockets} authenticated sockets held by one process",
            "memory per socket",
            round(memory["parley"], 1),
            round(memory["peer"], 1),
            "KiB",
            f"growth of the worker's resident memory, all open and quiet for {idle_seconds} s",
        )
    ]


def fan_out_curve(parley, parley_rooms, peer, peer_rooms, socket_counts, deliveries):
    """Scenario 2a: one room, one sender as fast as it can, at each size. Rows for the largest
    size; the series for the plot."""
    series = {"sockets": list(socket_counts), "parley": [], "peer": []}
    loads = {}
    for sockets in socket_counts:
        messages = max(20, deliveries // sockets)
        for name, _target, rooms, pid in (
            ("parley", parley, parley_rooms, parley.ws_pid),
            ("peer", peer, peer_rooms, peer.pid),
        ):
            rate, load_ = busy(pid, load.fan_out(rooms.urls(1), sockets, messages, rooms.headers))
            series[name].append(round(rate))
            loads[name] = load_
    sockets = socket_counts[-1]
    return [
        row(
            f"fan-out: 1 room of {sockets} sockets, one sender",
            "deliveries/s",
            series["parley"][-1],
            series["peer"][-1],
            "deliveries/s",
            f"server core busy: Parley {loads['parley']:.0%}, peer {loads['peer']:.0%}",
        )
    ], series


def fan_out_rooms(parley, parley_rooms, peers, rooms_count, per_room, messages):
    """Scenario 2b: many small rooms, a sender in each, all at once. `peers`: (name, target, rooms)
    for each peer; a row against each."""
    figure, load_ = busy(
        parley.ws_pid, load.fan_out(parley_rooms.urls(rooms_count), per_room, messages, parley_rooms.headers)
    )
    rows = []
    for name, peer, peer_rooms in peers:
        peer_figure, peer_load = busy(
            peer.pid, load.fan_out(peer_rooms.urls(rooms_count), per_room, messages, peer_rooms.headers)
        )
        rows.append(
            row(
                f"fan-out: {rooms_count} rooms of {per_room} sockets, a sender in each, stored",
                f"deliveries/s, against the {name}",
                round(figure),
                round(peer_figure),
                "deliveries/s",
                f"server core busy: Parley {load_:.0%}, {name} {peer_load:.0%}",
            )
        )
    return rows


class CpuSampler:
    """CPU time by kind of process under `roots`, sampled twice a second while a load runs, so that
    a steady window can be cut out of it (not the sockets' opening, nor the stragglers after)."""

    def __init__(self, roots):
        self._roots, self._samples, self._stop = roots, [], threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.is_set():
            self._samples.append((time.time(), cpu_by_kind(self._roots)))
            self._stop.wait(0.5)

    def per_second(self, start, end):
        """kind -> CPU seconds per second over the samples within [start, end]."""
        inside = [sample for sample in self._samples if start <= sample[0] <= end]
        if len(inside) < 2:
            return {}
        (first_at, first), (last_at, last) = inside[0], inside[-1]
        return {kind: (last[kind] - first.get(kind, 0.0)) / (last_at - first_at) for kind in last}


def paced_latency(rooms, pid, rooms_count, per_room, seconds, rate=1.0, cpu_roots=None):
    """Scenario 3 on one target: every socket sends `rate` messages a second. Returns the latencies
    in ms, the share delivered, the server's core load, and the CPU of each kind of process under
    `cpu_roots` per message sent (us), over the middle of the sending window."""
    with CpuSampler(cpu_roots or [pid]) as sampler:
        (latencies, expected, (start, end)), load_ = busy(
            pid, load.paced_latency(rooms.urls(rooms_count), per_room, rate, seconds, rooms.headers)
        )
    span = end - start
    messages_per_second = rooms_count * per_room * rate
    cpu = {
        kind: used / messages_per_second * 1e6
        for kind, used in sampler.per_second(start + 0.2 * span, end - 0.1 * span).items()
    }
    return [value * 1000 for value in latencies], len(latencies) / max(1, expected), load_, cpu


def latency_rows(label, parley, peer):
    """p50, p99 and p99.9 rows from two paced_latency() results."""
    (parley_ms, parley_share, parley_load, _), (peer_ms, peer_share, peer_load, _) = parley, peer
    notes = (
        f"delivered: Parley {parley_share:.2%}, peer {peer_share:.2%}; "
        f"server core busy: Parley {parley_load:.0%}, peer {peer_load:.0%}"
    )
    return [
        row(
            label, name, round(percentile(parley_ms, fraction), 1), round(percentile(peer_ms, fraction), 1), "ms", notes
        )
        for name, fraction in (("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999))
    ]


STAGE_BUCKET = re.compile(
    r'^parley_message_stage_seconds_bucket\{(?=[^}]*stage="(\w+)")(?=[^}]*le="([^"]+)")[^}]*\} (\S+)$', re.M
)


def stage_buckets(urls):
    """stage -> {upper bound: messages at most that long}, summed over the processes at `urls`."""
    buckets = {}
    for url in urls:
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            text = response.read().decode()
        for stage, bound, count in STAGE_BUCKET.findall(text):
            per_stage = buckets.setdefault(stage, {})
            per_stage[float(bound)] = per_stage.get(float(bound), 0.0) + float(count)
    return buckets


def stage_rows(label, before, after):
    """p50 and p99 of each stage of a message (ws_service/stages.py) between two stage_buckets(),
    read off the histogram: the upper bound of the bucket the quantile falls in (past the last
    bound, 10 s, the row says so)."""
    rows = []
    for stage, bounds in after.items():
        counts = sorted((bound, count - before.get(stage, {}).get(bound, 0.0)) for bound, count in bounds.items())
        total = counts[-1][1]
        if not total:
            continue
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            bound = next(bound for bound, count in counts if count >= fraction * total)
            longest = bound == math.inf
            rows.append(
                row(
                    f"stages of a message: {label}",
                    f"{stage} {name}",
                    round((counts[-2][0] if longest else bound) * 1000, 2),
                    None,
                    "ms",
                    f"{'more than' if longest else 'at most'} this; {total:,.0f} observed",
                )
            )
    return rows


def cpu_rows(label, parley, peer):
    """CPU per message by kind of process, from two paced_latency() results: a row per kind of
    Parley's, and the total beside the peer's."""
    parley_cpu, peer_cpu = parley[3], peer[3]
    rows = [
        row(f"CPU per message sent: {label}", kind, round(used), None, "us", "steady window")
        for kind, used in sorted(parley_cpu.items(), key=lambda item: -item[1])
        if used >= 1
    ]
    rows.append(
        row(
            f"CPU per message sent: {label}",
            "all processes",
            round(sum(parley_cpu.values())),
            round(sum(peer_cpu.values())),
            "us",
            "peer: its one process, which stores nothing",
        )
    )
    return rows


def http_reads(parley, token, peer_http, concurrency, seconds):
    """Scenario 5a: GET /auth/me and GET /ws/getRooms, back to back on `concurrency` connections."""
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    for path, url, pid in (
        ("/auth/me", f"{parley.auth}/me", parley.auth_pid),
        ("/ws/getRooms", f"{parley.http}/ws/getRooms", parley.ws_pid),
    ):
        rate, load_ = busy(pid, load.http_throughput(url, headers, concurrency, seconds))
        peer_rate, peer_load = busy(
            peer_http.pid,
            load.http_throughput(f"{peer_http.http}{path}", headers, concurrency, seconds),
        )
        rows.append(
            row(
                f"HTTP: GET {path}, {concurrency} connections, one worker",
                "requests/s",
                round(rate),
                round(peer_rate),
                "requests/s",
                f"server core busy: Parley {load_:.0%}, peer {peer_load:.0%}",
            )
        )
    return rows


def logins(parley, token, concurrency, seconds, paced_rate):
    """Scenario 5b: logins per second against what bcrypt allows on the server's one core, and
    GET /auth/me p99 (paced) with and without a login flood."""
    started = time.perf_counter()
    bcrypt.hashpw(b"x" * 44, bcrypt.gensalt(12))  # what a login hashes: base64(sha256(password))
    bound = 1 / (time.perf_counter() - started)
    body = {"username": "bench", "password": "bench-password"}
    rate = asyncio.run(load.http_throughput(f"{parley.auth}/login", {}, concurrency, seconds, body))
    me = f"{parley.auth}/me"
    headers = {"Authorization": f"Bearer {token}"}
    quiet = asyncio.run(load.http_paced_latencies(me, headers, paced_rate, seconds))

    async def flooded():
        flood = asyncio.create_task(load.http_throughput(f"{parley.auth}/login", {}, concurrency, seconds + 1, body))
        latencies = await load.http_paced_latencies(me, headers, paced_rate, seconds)
        await flood
        return latencies

    loud = asyncio.run(flooded())
    p99 = {name: percentile(values, 0.99) * 1000 for name, values in (("quiet", quiet), ("loud", loud))}
    return [
        row(
            "HTTP: POST /auth/login, bcrypt cost 12",
            "logins/s (peer: 1 core / one hash)",
            round(rate, 1),
            round(bound, 1),
            "logins/s",
            f"{concurrency} clients; one hash takes {1000 / bound:.0f} ms here",
        ),
        row(
            f"HTTP: GET /auth/me at {paced_rate}/s during a login flood",
            "p99 (peer: Parley, no flood)",
            round(p99["loud"], 1),
            round(p99["quiet"], 1),
            "ms",
            f"median during the flood {statistics.median(loud) * 1000:.1f} ms",
        ),
    ]
