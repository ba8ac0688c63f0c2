"""`python -m bench [--quick] [--only NAME...]` (what `make bench` runs): each scenario against
Parley and against a peer in the same run; writes bench/results/latest.json, latest.md and the
PNG plots."""

import argparse
import contextlib
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

from bench import report, scale, scenarios, search
from bench.targets import EmbeddedPostgres, Parley, Peer, PeerHttp, Stack, StoredPeer

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("idle", "fan-out", "rooms", "latency", "stack", "http", "search", "scale")
# The stack "holds" a rate while its p99 stays under this, with every message delivered (issue 16).
STACK_P99_MS = 100

FULL = {
    "idle_sockets": 10_000,
    "idle_seconds": 12,
    "fan_out_sockets": (10, 30, 100, 300, 1000),
    "fan_out_deliveries": 200_000,
    "rooms": (100, 10, 50),
    "latency_rooms": (50, 20),
    "latency_seconds": 60,
    "http_concurrency": 32,
    "http_seconds": 10,
    "login_clients": 4,
    "paced_rate": 50,
    "stack_rates": (1.5, 2.0, 3.0, 4.0),  # messages per socket per second, after the 1/s run
    "stack_step_seconds": 20,
    "search": (1_000_000, 1_000, 20),  # messages, rooms, runs of each query
    "scale_rooms": (50, 20, 30),  # rooms, sockets in each, seconds: 1,000 msg/s, 20,000 deliveries/s
    "scale_stored": (50, 400),  # rooms (a sender and a receiver in each), messages each
    "scale_redis_requests": 400_000,
}
QUICK = {
    "idle_sockets": 200,
    "idle_seconds": 1,
    "fan_out_sockets": (5, 20),
    "fan_out_deliveries": 500,
    "rooms": (5, 4, 5),
    "latency_rooms": (4, 5),
    "latency_seconds": 3,
    "http_concurrency": 4,
    "http_seconds": 2,
    "login_clients": 2,
    "paced_rate": 10,
    "stack_rates": (2.0,),
    "stack_step_seconds": 2,
    "search": (20_000, 20, 3),
    "scale_rooms": (4, 6, 3),
    "scale_stored": (5, 20),
    "scale_redis_requests": 20_000,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds a scenario")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=SCENARIOS)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record ws_service's worker with py-spy meanwhile: OUTPUT/profile-ws_service.svg, and one of the "
        "stack's, waiting included: OUTPUT/profile-stack-ws_service.svg",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    with contextlib.ExitStack() as running:
        admin_url = os.environ.get("BENCH_DATABASE_URL")
        # PostgreSQL's CPU counts with Parley's where the benchmark runs its own.
        postgres_pids = []
        if not admin_url:
            postgres = running.enter_context(stopping(EmbeddedPostgres()))
            admin_url, postgres_pids = postgres.admin_url, [postgres.pid]
        peer = running.enter_context(stopping(Peer()))
        rows, figures = [], {}
        if "scale" in args.only:  # first: the other scenarios leave PostgreSQL busy for a while
            rows, processes = scale.processes_compared(admin_url, postgres_pids, *sizes["scale_rooms"])
            redis_rows, figures = scale.redis_throughput(sizes["scale_redis_requests"])
            rows += redis_rows
            figures["processes"] = processes
        direct_rows, series = direct_scenarios(args, sizes, admin_url, postgres_pids, peer)
        rows += direct_rows
        if "scale" in series:
            series["scale"].update(figures)
        if "stack" in args.only:
            rows += stack_latency(
                admin_url, postgres_pids, sizes, series, profile_to=args.output if args.profile else None
            )
    cpus = os.cpu_count() or 1
    results = {
        "mode": "quick" if args.quick else "full",
        "rows": rows,
        # What bench/capacity.py plans from (the scale scenario's figures).
        **({"figures": series["scale"]} if "scale" in series else {}),
        "machine": {
            "cpus": cpus,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "pinning": (
                "servers and their PostgreSQL on core 0, the load generator on core 1"
                if cpus >= 2
                else "no pinning (one core)"
            ),
        },
    }
    report.write(results, series, args.output)
    print(report.markdown(results))


@contextlib.contextmanager
def stopping(target):
    try:
        yield target
    finally:
        target.stop()


def direct_scenarios(args, sizes, admin_url, postgres_pids, peer):
    """Every scenario but the stack's, against one ws_service (and one auth_service) process."""
    rows, series = [], {}
    with contextlib.ExitStack() as running:
        parley = running.enter_context(stopping(Parley(admin_url)))
        peer_http = running.enter_context(stopping(PeerHttp()))
        stored_peer = running.enter_context(stopping(StoredPeer(admin_url)))
        if args.profile:
            running.enter_context(profiling(parley.worker_pid(parley.ws_pid), args.output))
        token = parley.account("bench")
        parley_rooms, peer_rooms = scenarios.Rooms(parley, token), scenarios.Rooms(peer)
        if "http" in args.only:  # first, while the room list is the peer's ten
            for room in range(10):
                parley.create_room(token, f"listed {room}")
            rows += scenarios.http_reads(parley, token, peer_http, sizes["http_concurrency"], sizes["http_seconds"])
            rows += scenarios.logins(parley, token, sizes["login_clients"], sizes["http_seconds"], sizes["paced_rate"])
        # Before the fan-outs: their rows keep PostgreSQL busy (on the same core) for a while after.
        if "latency" in args.only or "stack" in args.only:
            rooms, per_room = sizes["latency_rooms"]
            series["latency"] = {
                "peer": scenarios.paced_latency(peer_rooms, peer.pid, rooms, per_room, sizes["latency_seconds"])
            }
        if "latency" in args.only:
            measured = scenarios.paced_latency(
                parley_rooms,
                parley.ws_pid,
                rooms,
                per_room,
                sizes["latency_seconds"],
                cpu_roots=[parley.ws_pid, *postgres_pids],
            )
            series["latency"]["Parley, one ws_service process"] = measured
            rows += scenarios.latency_rows(
                f"latency: {rooms * per_room} sockets in {rooms} rooms, each sending "
                f"1/s for {sizes['latency_seconds']} s, stored",
                measured,
                series["latency"]["peer"],
            )
            rows += scenarios.cpu_rows(
                f"one ws_service process, {rooms * per_room:,} msg/s", measured, series["latency"]["peer"]
            )
            stored = scenarios.paced_latency(
                scenarios.Rooms(stored_peer),
                stored_peer.pid,
                rooms,
                per_room,
                sizes["latency_seconds"],
                cpu_roots=[stored_peer.pid, *postgres_pids],
            )
            series["latency"]["stored peer (websockets + asyncpg)"] = stored
            rows += scenarios.latency_rows(
                f"latency: {rooms * per_room} sockets in {rooms} rooms, 1/s each, stored, against the stored peer "
                "(websockets + asyncpg)",
                measured,
                stored,
            )
        if "idle" in args.only:
            rows += scenarios.idle_connections(
                parley, parley_rooms, peer, peer_rooms, sizes["idle_sockets"], sizes["idle_seconds"]
            )
        if "fan-out" in args.only:
            fan_rows, series["fan_out"] = scenarios.fan_out_curve(
                parley, parley_rooms, peer, peer_rooms, sizes["fan_out_sockets"], sizes["fan_out_deliveries"]
            )
            rows += fan_rows
        if "rooms" in args.only:
            peers = [("peer (websockets, nothing stored)", peer, peer_rooms)]
            peers.append(("stored peer (websockets + asyncpg)", stored_peer, scenarios.Rooms(stored_peer)))
            rows += scenarios.fan_out_rooms(parley, parley_rooms, peers, *sizes["rooms"])
        if "scale" in args.only:
            stored_rows, series["scale"] = scale.stored_rate(
                parley, parley_rooms, stored_peer, scenarios.Rooms(stored_peer), *sizes["scale_stored"]
            )
            rows += stored_rows
        if "search" in args.only:  # last: its million messages would slow the others' database
            rows += search.search_latency(parley, token, *sizes["search"])
    return rows, series


@contextlib.contextmanager
def profiling(pid, directory, name="profile-ws_service.svg", idle=False):
    """A py-spy flame graph of `pid` while the block runs; with `idle`, time spent waiting too."""
    directory.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--nonblocking",
            *(["--idle"] if idle else []),
            "-p",
            str(pid),
            "-o",
            str(directory / name),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its flame graph and exits
        recorder.wait(timeout=60)


def holds(paced):
    """Whether a paced_latency() result is one the stack holds: p99 under STACK_P99_MS, all delivered."""
    latencies, share, *_ = paced
    return share >= 1 and scenarios.percentile(latencies, 0.99) < STACK_P99_MS


def stack_latency(admin_url, postgres_pids, sizes, series, profile_to=None):
    """Scenario 4: scenario 3 through `make stack`'s launcher, beside the peer's figures of scenario
    3; then the rate stepped up until the stack no longer holds it (p99 under 100 ms, all delivered)."""
    rooms, per_room = sizes["latency_rooms"]
    seconds = sizes["latency_seconds"]
    with stopping(Stack(admin_url)) as stack:
        stack_rooms = scenarios.Rooms(stack, stack.account("bench"))
        roots = [stack.pid, *postgres_pids]
        stages_before = scenarios.stage_buckets(stack.ws_service_urls())
        with contextlib.ExitStack() as profiled:
            if profile_to is not None:  # one ws_service worker, waiting included: is the stack busy or waiting?
                worker = stack.ws_service_workers()[0]
                profiled.enter_context(profiling(worker, profile_to, "profile-stack-ws_service.svg", idle=True))
            measured = scenarios.paced_latency(stack_rooms, stack.pid, rooms, per_room, seconds, cpu_roots=roots)
        stages = scenarios.stage_rows(
            f"make stack, {rooms * per_room:,} msg/s", stages_before, scenarios.stage_buckets(stack.ws_service_urls())
        )
        stepped = []
        for rate in sizes["stack_rates"]:
            step = scenarios.paced_latency(
                stack_rooms, stack.pid, rooms, per_room, sizes["stack_step_seconds"], rate, cpu_roots=roots
            )
            stepped.append((rate, step))
            if not holds(step):
                break
        restarts = stack.restarts()
    series["latency"]["Parley through make stack"] = measured
    label = "latency through make stack (nginx, 2 ws_service, Redis, all on one core)"
    peer = series["latency"]["peer"]
    rows = scenarios.latency_rows(f"{label}: {rooms * per_room} sockets in {rooms} rooms, 1/s each", measured, peer)
    rows += scenarios.cpu_rows(f"make stack, {rooms * per_room:,} msg/s", measured, peer)
    rows += stages
    for rate, (latencies, share, load_, _) in stepped:
        rows.append(
            scenarios.row(
                f"{label}: stepping the rate, {sizes['stack_step_seconds']} s a step",
                f"p99 at {rate * rooms * per_room:,.0f} msg/s",
                round(scenarios.percentile(latencies, 0.99), 1),
                None,
                "ms",
                f"delivered {share:.2%}; core busy {load_:.0%}",
            )
        )
    held = [rate for rate, step in [(1.0, measured), *stepped] if holds(step)]
    rows.append(
        scenarios.row(
            f"{label}: stepping the rate",
            f"highest rate held (p99 under {STACK_P99_MS} ms, all delivered)",
            max(held, default=0) * rooms * per_room,
            None,
            "msg/s",
            f"steps tried: {', '.join(f'{rate * rooms * per_room:,.0f}' for rate, _ in stepped)}",
        )
    )
    for row in rows:
        row["notes"] += f"; processes restarted meanwhile: {restarts}"
    return rows


if __name__ == "__main__":
    main()
