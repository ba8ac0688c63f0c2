"""The repository stands on its own: it points at nothing outside itself, and its lock files pin
exactly what pyproject.toml asks for."""

import re
import subprocess
import tomllib

from tests.conftest import REPO


def tracked_files():
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [REPO / name for name in listing.decode().split("\0") if name]


def test_no_file_points_outside_the_repository():
    outside = re.compile(r"\.\./shared\b")
    pointing = [
        str(path.relative_to(REPO))
        for path in tracked_files()
        if path.suffix not in (".png", ".lock") and outside.search(path.read_text(errors="replace"))
    ]
    assert pointing == []


def locked(lock_file):
    """name -> version pinned in a lock file, each with at least one hash."""
    text = (REPO / "requirements" / lock_file).read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, re.M))
    hashed = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
    assert sorted(hashed) == sorted(pins), f"every pin in {lock_file} carries its hash"
    return {normalise(name): version for name, version in pins.items()}


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(requirements):
    return {normalise(name): version for name, version in (r.split("==") for r in requirements)}


def test_the_lock_files_pin_what_pyproject_asks_for_with_hashes():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    running = pinned(project["dependencies"])
    everything = {**running}
    for extra in project["optional-dependencies"].values():
        everything.update(pinned(extra))
    run_lock, dev_lock = locked("run.txt"), locked("dev.txt")
    assert {name: run_lock.get(name) for name in running} == running
    assert {name: dev_lock.get(name) for name in everything} == everything
    assert "pytest" not in run_lock and "ruff" not in run_lock, "make run installs only what running needs"
