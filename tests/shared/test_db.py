"""The connection pool against a database that goes away and comes back."""

import time

import psycopg2
import pytest
import requests

from tests.conftest import Person, RunningServer, eventually
from tests.faults import CuttableProxy, postgres_address


@pytest.fixture
def server_behind_a_cuttable_link(database_url, tmp_path):
    params = psycopg2.extensions.parse_dsn(database_url)
    proxy = CuttableProxy(postgres_address(params))
    proxied = psycopg2.extensions.make_dsn(**{**params, "host": "127.0.0.1", "port": proxy.port})
    server = RunningServer({"DATABASE_URL": proxied}, tmp_path / "server.log")
    yield server, proxy
    server.stop()
    proxy.close()


def wait_for_status(url, status, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(url, timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_a_database_outage_gives_503_and_the_service_recovers_by_itself(server_behind_a_cuttable_link):
    server, proxy = server_behind_a_cuttable_link
    person = Person(server.url).register().login()
    assert person.get("/auth/me").status_code == 200

    proxy.cut()
    me = person.get("/auth/me")
    assert me.status_code == 503
    assert me.headers["Retry-After"] == "5"
    assert me.json()["error"]["code"] == "database_unavailable"
    register = requests.post(f"{server.url}/auth/register", json={"username": "during_outage", "password": "whatever1"})
    assert register.status_code == 503
    health = requests.get(f"{server.url}/auth/healthz")
    assert health.status_code == 503
    # The process's listener lost its connection too, and is starting again.
    assert health.json() == {"status": "unavailable", "checks": {"database": "unavailable", "listener": "unavailable"}}

    proxy.restore()
    assert wait_for_status(f"{server.url}/auth/healthz", 200).status_code == 200
    assert person.get("/auth/me").status_code == 200


def test_connections_the_server_ended_while_idle_are_replaced_without_an_error(person, db_cursor, database_url):
    assert person.get("/auth/me").status_code == 200
    db_cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'parley' AND datname = %s",
        (psycopg2.extensions.parse_dsn(database_url)["dbname"],),
    )
    pids = [pid for (pid,) in db_cursor.fetchall()]
    assert pids
    db_cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))

    def ended():
        db_cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
        return db_cursor.fetchone()[0] == 0

    eventually(ended, what="the terminated backends ending")
    assert [person.get(path).status_code for path in ("/auth/me", "/users/feed", "/auth/me")] == [200, 200, 200]
