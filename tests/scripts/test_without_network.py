"""scripts/without-network, which `make test` runs the suite under: a network namespace where
nothing listens, as on a newcomer's machine, or, where the machine allows none, the command as it is."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

PROBE = """
import socket

for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        print(port, "answers")
    except ConnectionRefusedError:
        print(port, "refused")
listener = socket.create_server(("127.0.0.1", 0))
socket.create_connection(listener.getsockname(), timeout=2).close()
print("loopback works")
"""


def run_without_network(*command):
    return subprocess.run(
        [REPO / "scripts" / "without-network", *command], capture_output=True, text=True, timeout=60, check=True
    )


def can_isolate():
    return os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip")


@pytest.mark.skipif(not can_isolate(), reason="a network namespace needs root, unshare and ip")
def test_in_its_namespace_nothing_listens_and_loopback_works():
    # What this machine serves on the usual ports (CI's does: PostgreSQL and Redis) is not there.
    result = run_without_network(sys.executable, "-c", PROBE)
    assert result.stdout.split("\n") == ["5432 refused", "6379 refused", "loopback works", ""]
    assert "nothing listening" in result.stderr


def test_where_no_namespace_can_be_made_the_command_runs_as_it_is_and_says_so(tmp_path):
    # Without unshare on the PATH (a machine that cannot), the command still runs.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "id", "env"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        [REPO / "scripts" / "without-network", sys.executable, "-c", "print('ran')"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": str(bin_dir)},
    )
    assert result.stdout == "ran\n"
    assert "with this machine's network" in result.stderr


def test_the_namespace_is_what_make_test_runs_the_suite_in():
    makefile = (REPO / "Makefile").read_text()
    assert "scripts/without-network $(BIN)/python -m pytest" in makefile.split("\ntest:", 1)[1].split("\n\n")[0]
