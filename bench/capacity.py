"""`python -m bench.capacity [--sockets N] [--messages M] [--online-per-room R] [--cores-per-host C]`:
the deployment docs/scaling.md describes, worked out from the figures measured on this machine
(bench/results/scale/latest.json, and the memory per socket from bench/results/latest.json), so that
the plan moves when the figures do. Every figure is a single core's; the plan keeps each core
below UTILISATION."""

import argparse
import json
import math
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
UTILISATION = 0.6  # of each core, for bursts and for losing a host
SOCKETS_PER_PROCESS = 20_000  # ws_service's --worker-connections
NGINX_CLIENTS_PER_WORKER = 16_000  # nginx/nginx.conf: 32,768 connections, two per WebSocket
CORES_PER_POSTGRES_PRIMARY = 32  # past this, rooms are split over primaries (docs/scaling.md)


def figures(scale_results=RESULTS / "scale" / "latest.json", main_results=RESULTS / "latest.json"):
    measured = json.loads(Path(scale_results).read_text())["figures"]
    idle = next(
        row for row in json.loads(Path(main_results).read_text())["rows"] if row["metric"] == "memory per socket"
    )
    return {**measured, "memory_per_socket_kib": idle["parley"]}


def processes_per_message(processes, online_per_room):
    """How many ws_service processes a message of a room reaches when its R online sockets are
    placed at random over P processes: P(1 - (1 - 1/P)^R)."""
    if processes <= 1:
        return 1.0
    return processes * (1 - (1 - 1 / processes) ** online_per_room)


def plan(measured, sockets, messages, online_per_room, cores_per_host):
    """Each part's cores (or processes) for `sockets` held and `messages` sent a second."""
    cpu = {name: variant["cpu_us_per_message"] for name, variant in measured["processes"].items()}
    alone, with_redis, two = cpu["one process, in memory"], cpu["one process, Redis"], cpu["two processes, Redis"]
    # A message costs its storing process a fixed part and every process it reaches a share:
    # the second process's cost is what the two-process run adds to the one-process Redis run.
    per_process = max(0.0, two["ws_service"] - with_redis["ws_service"])
    fixed = with_redis["ws_service"] - per_process
    redis_per_subscriber = max(0.0, two.get("Redis", 0.0) - with_redis.get("Redis", 0.0))
    redis_fixed = with_redis.get("Redis", 0.0) - redis_per_subscriber
    budget = UTILISATION * 1e6  # us of CPU a core gives a second, within the utilisation

    # ws_service: enough processes for the sockets and for the CPU, where the CPU depends on how many
    # processes a message reaches, which depends on how many processes there are: iterate.
    processes = math.ceil(sockets / SOCKETS_PER_PROCESS)
    for _ in range(100):
        reached = processes_per_message(processes, online_per_room)
        needed = math.ceil(messages * (fixed + reached * per_process) / budget)
        if needed <= processes:
            break
        processes = needed
    reached = processes_per_message(processes, online_per_room)
    redis_cores = messages * (redis_fixed + reached * redis_per_subscriber) / budget
    postgres_cores = messages * alone.get("PostgreSQL", 0.0) / budget
    gateway_workers = math.ceil(sockets / NGINX_CLIENTS_PER_WORKER)
    ws_hosts = math.ceil(processes / cores_per_host)
    return {
        "ws_service processes": processes,
        "ws_service hosts": ws_hosts,
        "processes a message reaches": reached,
        "ws_service CPU per message (us)": fixed + reached * per_process,
        "memory per ws_service process (MiB)": sockets / processes * measured["memory_per_socket_kib"] / 1024,
        "Redis shards (a core each)": math.ceil(redis_cores),
        "Redis pub/sub headroom (publishes/s a shard takes)": measured["redis_publishes_per_second"] * UTILISATION,
        "PostgreSQL cores": postgres_cores,
        "PostgreSQL primaries (rooms split over them)": math.ceil(postgres_cores / CORES_PER_POSTGRES_PRIMARY),
        "stored messages/s on one core (group commit)": measured["stored_messages_per_second"],
        "gateway nginx workers (a core each)": gateway_workers,
        "gateway hosts": math.ceil(gateway_workers / cores_per_host),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=50_000, help="messages sent a second")
    parser.add_argument("--online-per-room", type=int, default=20, help="sockets online in a room a message reaches")
    parser.add_argument("--cores-per-host", type=int, default=16)
    args = parser.parse_args()
    measured = figures()
    worked = plan(measured, args.sockets, args.messages, args.online_per_room, args.cores_per_host)
    print(
        f"{args.sockets:,} sockets, {args.messages:,} messages/s, {args.online_per_room} online per room, "
        f"{args.cores_per_host} cores a host, each core at most {UTILISATION:.0%} busy:"
    )
    for name, value in worked.items():
        print(f"  {name:<52} {value:>12,.1f}" if isinstance(value, float) else f"  {name:<52} {value:>12,}")


if __name__ == "__main__":
    main()
