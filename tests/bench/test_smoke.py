"""The benchmark code keeps working: a tiny run, checked for well-formed results only (no timing
is asserted: speed is measured on purpose with `make bench`, never in the tests)."""
import json
import subprocess
import sys

from tests.conftest import REPO


def test_a_tiny_benchmark_run_writes_well_formed_results(postgres_admin_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--sockets", "5", "--messages", "5", "--output", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "BENCH_DATABASE_URL": postgres_admin_url})
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["rows"], "no scenario ran"
    for row in results["rows"]:
        assert set(row) == {"scenario", "metric", "parley", "peer", "ratio", "unit"}
        assert row["parley"] > 0 and row["peer"] > 0
        assert abs(row["ratio"] - row["parley"] / row["peer"]) < 0.01
    table = (tmp_path / "latest.md").read_text()
    assert table.startswith("| scenario | metric | Parley | peer | Parley / peer |")
    assert results["machine"]["cpus"] >= 1
