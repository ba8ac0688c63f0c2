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

from bench import report, scenarios
from bench.targets import EmbeddedPostgres, Parley, Peer, PeerHttp, Stack

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("idle", "fan-out", "rooms", "latency", "stack", "http")

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
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds a scenario")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=SCENARIOS)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record ws_service's worker with py-spy meanwhile: OUTPUT/profile-ws_service.svg",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    with contextlib.ExitStack() as running:
        admin_url = os.environ.get("BENCH_DATABASE_URL")
        if not admin_url:
            admin_url = running.enter_context(stopping(EmbeddedPostgres())).admin_url
        peer = running.enter_context(stopping(Peer()))
        rows, series = direct_scenarios(args, sizes, admin_url, peer)
        if "stack" in args.only:
            rows += stack_latency(admin_url, *sizes["latency_rooms"], sizes["latency_seconds"], series)
    cpus = os.cpu_count() or 1
    results = {
        "mode": "quick" if args.quick else "full",
        "rows": rows,
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


def direct_scenarios(args, sizes, admin_url, peer):
    """Every scenario but the stack's, against one ws_service (and one auth_service) process."""
    rows, series = [], {}
    with contextlib.ExitStack() as running:
        parley = running.enter_context(stopping(Parley(admin_url)))
        peer_http = running.enter_context(stopping(PeerHttp()))
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
            measured = scenarios.paced_latency(parley_rooms, parley.ws_pid, rooms, per_room, sizes["latency_seconds"])
            series["latency"]["Parley, one ws_service process"] = measured
            rows += scenarios.latency_rows(
                f"latency: {rooms * per_room} sockets in {rooms} rooms, each sending "
                f"1/s for {sizes['latency_seconds']} s, stored",
                measured,
                series["latency"]["peer"],
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
            rows += scenarios.fan_out_rooms(parley, parley_rooms, peer, peer_rooms, *sizes["rooms"])
    return rows, series


@contextlib.contextmanager
def profiling(pid, directory):
    directory.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--nonblocking",
            "-p",
            str(pid),
            "-o",
            str(directory / "profile-ws_service.svg"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its flame graph and exits
        recorder.wait(timeout=60)


def stack_latency(admin_url, rooms, per_room, seconds, series):
    """Scenario 4: scenario 3 through `make stack`'s launcher, beside the peer's figures of scenario 3."""
    with stopping(Stack(admin_url)) as stack:
        measured = scenarios.paced_latency(
            scenarios.Rooms(stack, stack.account("bench")), stack.pid, rooms, per_room, seconds
        )
        restarts = stack.restarts()
    series["latency"]["Parley through make stack"] = measured
    rows = scenarios.latency_rows(
        f"latency through make stack (nginx, 2 ws_service, Redis, all on one core): "
        f"{rooms * per_room} sockets in {rooms} rooms, 1/s each",
        measured,
        series["latency"]["peer"],
    )
    for row in rows:
        row["notes"] += f"; processes restarted meanwhile: {restarts}"
    return rows


if __name__ == "__main__":
    main()
