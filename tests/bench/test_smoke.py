"""The benchmark code keeps working: `--quick` (tiny sizes), checked for well-formed results and
plots only. No timing is asserted: speed is measured on purpose with `make bench`, never in tests."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.bench

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_a_quick_benchmark_run_writes_well_formed_results_and_plots(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin:/usr/sbin"},
    )  # and its own embedded PostgreSQL
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["mode"] == "quick"
    scenarios = {row["scenario"].split(":")[0] for row in results["rows"]}
    assert scenarios == {
        "idle",
        "fan-out",
        "latency",
        "latency through make stack (nginx, 2 ws_service, Redis, all on one core)",
        "HTTP",
        "CPU per message sent",
        "stages of a message",
        "search",
        "stored messages",
        "scale",
        "Redis on one core",
    }, "every scenario has its rows"
    figures = results["figures"]  # what bench/capacity.py plans from
    assert set(figures["processes"]) == {"one process, in memory", "one process, Redis", "two processes, Redis"}
    for measured in figures["processes"].values():
        assert measured["delivered"] > 0 and measured["cpu_us_per_message"]["ws_service"] > 0
    assert figures["redis_publishes_per_second"] > 0 and figures["stored_messages_per_second"] > 0
    for row in results["rows"]:
        assert set(row) == {"scenario", "metric", "parley", "peer", "ratio", "unit", "notes"}
        # CPU is counted in clock ticks (10 ms): at --quick sizes a share may round to nothing.
        counted_in_ticks = row["scenario"].startswith(("CPU", "latency through make stack", "stages"))
        minimum = 0 if counted_in_ticks or "CPU" in row["metric"] else 1e-9
        assert row["parley"] >= minimum, row
        if row["peer"] is not None:  # rows of Parley's alone: CPU by kind of process, the stack's steps
            assert row["peer"] >= minimum, row
            if row["peer"]:
                assert abs(row["ratio"] - row["parley"] / row["peer"]) < 0.01
    table = (tmp_path / "latest.md").read_text()
    assert table.startswith("| scenario | metric | Parley | peer | Parley / peer | unit | notes |")
    assert len(table.splitlines()) == len(results["rows"]) + 4
    for plot in ("fan-out.png", "latency.png"):
        assert (tmp_path / plot).read_bytes().startswith(PNG_SIGNATURE)
