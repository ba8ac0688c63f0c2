"""`make run` with no DATABASE_URL: its own PostgreSQL, whose data outlives the process."""

import os

import requests

from tests.conftest import Person, RunningServer


def test_accounts_survive_a_restart_on_the_embedded_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env = {"PARLEY_DATA_DIR": str(tmp_path / "data")}
    first = RunningServer(env, tmp_path / "first.log")
    try:
        person = Person(first.url).register()
    finally:
        assert first.stop() == 0
    assert os.path.isdir(tmp_path / "data" / "postgres")

    second = RunningServer(env, tmp_path / "second.log")
    try:
        person.base_url = second.url
        assert person.login().get("/auth/me").json()["id"] == person.id
        assert requests.get(f"{second.url}/ws/healthz").status_code == 200
    finally:
        assert second.stop() == 0
