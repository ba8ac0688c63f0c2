"""`make run` with no DATABASE_URL and no JWT_SECRET: its own PostgreSQL and its own signing key,
made on the first start in the data folder, both outliving the process."""

import os

import requests

from tests.conftest import Person, RunningServer


def test_accounts_and_sessions_survive_a_restart_on_the_embedded_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env = {"PARLEY_DATA_DIR": str(tmp_path / "data"), "JWT_SECRET": ""}  # as `make run` starts with nothing set
    first = RunningServer(env, tmp_path / "first.log")
    try:
        person = Person(first.url).register().login()
    finally:
        assert first.stop() == 0
    assert os.path.isdir(tmp_path / "data" / "postgres")
    secret = (tmp_path / "data" / "jwt-secret").read_text()
    assert len(secret) >= 64 and secret not in (tmp_path / "first.log").read_text()

    second = RunningServer(env, tmp_path / "second.log")
    try:
        person.base_url = second.url
        assert person.get("/auth/me").json()["id"] == person.id  # the same key: the token still works
        assert person.login().get("/auth/me").json()["id"] == person.id
        assert requests.get(f"{second.url}/ws/healthz").status_code == 200
    finally:
        assert second.stop() == 0
    assert (tmp_path / "data" / "jwt-secret").read_text() == secret
