"""bench/capacity.py: the plan follows the measured figures (more CPU a message, more processes),
and it runs on the figures committed in bench/results."""

import subprocess
import sys

import pytest

from bench.capacity import SOCKETS_PER_PROCESS, figures, plan, processes_per_message
from tests.conftest import REPO


def measured(ws_alone=500.0, ws_redis=600.0, ws_two=700.0):
    def variant(ws, redis):
        return {"cpu_us_per_message": {"ws_service": ws, "Redis": redis, "PostgreSQL": 300.0}}

    return {
        "processes": {
            "one process, in memory": variant(ws_alone, 0.0),
            "one process, Redis": variant(ws_redis, 20.0),
            "two processes, Redis": variant(ws_two, 30.0),
        },
        "redis_publishes_per_second": 500_000.0,
        "stored_messages_per_second": 3_000.0,
        "memory_per_socket_kib": 25.0,
    }


def test_a_message_reaches_as_many_processes_as_its_room_has_sockets_at_most():
    assert processes_per_message(1, 20) == 1
    assert processes_per_message(2, 20) == pytest.approx(2, abs=0.01)
    assert processes_per_message(10_000, 20) == pytest.approx(20, abs=0.05)


def test_sockets_alone_set_the_processes_when_messages_are_few():
    worked = plan(measured(), sockets=1_000_000, messages=10, online_per_room=20, cores_per_host=16)
    assert worked["ws_service processes"] == 1_000_000 // SOCKETS_PER_PROCESS
    assert worked["ws_service hosts"] == 4


def test_more_cpu_a_message_takes_more_processes():
    cheap = plan(measured(), 1_000_000, 50_000, 20, 16)
    dear = plan(measured(500.0, 1100.0, 1300.0), 1_000_000, 50_000, 20, 16)
    assert dear["ws_service processes"] > cheap["ws_service processes"] > 50
    assert dear["ws_service CPU per message (us)"] > cheap["ws_service CPU per message (us)"]


def test_postgres_is_split_over_primaries_past_a_big_ones_cores():
    worked = plan(measured(), 1_000_000, 200_000, 20, 16)
    assert worked["PostgreSQL primaries (rooms split over them)"] == 4  # 100 cores of 32


def test_it_plans_from_the_committed_figures():
    measured_here = figures()
    assert measured_here["stored_messages_per_second"] > 0
    printed = subprocess.run(
        [sys.executable, "-m", "bench.capacity"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("1,000,000 sockets, 50,000 messages/s")
    assert "ws_service processes" in printed.stdout and "Redis shards" in printed.stdout
