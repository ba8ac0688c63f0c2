"""Login and registration limits: per client address and per username, counted in the shared
database, answered with 429 and Retry-After before any password is hashed.

The server trusts one proxy hop, as it does behind nginx, so each test speaks from addresses of its own
through X-Forwarded-For."""

import contextlib
import itertools
import time
import uuid

import psycopg2
import psycopg2.extras
import pytest
import requests

from auth_service import storage
from tests.conftest import RunningServer

WINDOW_SECONDS = 900
ADDRESSES = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def limited(database_url, tmp_path_factory):
    server = RunningServer(
        {
            "DATABASE_URL": database_url,
            "TRUSTED_PROXY_HOPS": "1",
            "AUTH_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS),
            "LOGIN_ATTEMPTS_PER_ADDRESS": "6",
            "LOGIN_FAILURES_PER_USERNAME": "3",
            "REGISTRATIONS_PER_ADDRESS": "3",
        },
        tmp_path_factory.mktemp("limits") / "server.log",
    )
    yield server
    server.stop()


def register(server, username, address):
    return requests.post(
        f"{server.url}/auth/register",
        json={"username": username, "password": "long enough pw"},
        headers={"X-Forwarded-For": address},
    )


def login(server, username, password, address):
    return requests.post(
        f"{server.url}/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


def assert_rate_limited(response):
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW_SECONDS


def new_name():
    return f"l{uuid.uuid4().hex[:12]}"


def test_failed_logins_for_one_username_are_limited_from_every_address(limited):
    name = new_name()
    assert register(limited, name, next(ADDRESSES)).status_code == 201
    for _ in range(3):
        assert login(limited, name, "wrong password", next(ADDRESSES)).status_code == 401
    refused = login(limited, name, "long enough pw", next(ADDRESSES))
    assert_rate_limited(refused)
    assert "access_token" not in refused.json() and "Set-Cookie" not in refused.headers
    assert_rate_limited(login(limited, name.upper(), "long enough pw", next(ADDRESSES)))
    other = new_name()
    assert register(limited, other, next(ADDRESSES)).status_code == 201
    assert login(limited, other, "long enough pw", next(ADDRESSES)).status_code == 200


def test_good_logins_do_not_count_as_failures(limited):
    name = new_name()
    assert register(limited, name, next(ADDRESSES)).status_code == 201
    for _ in range(4):
        assert login(limited, name, "long enough pw", next(ADDRESSES)).status_code == 200


def test_logins_from_one_address_are_limited_whatever_the_username(limited):
    address = next(ADDRESSES)
    for _ in range(6):
        assert login(limited, new_name(), "some password", address).status_code == 401
    assert_rate_limited(login(limited, new_name(), "some password", address))
    # What the client puts in front of the proxy's entry is not believed.
    assert_rate_limited(login(limited, new_name(), "some password", f"{next(ADDRESSES)}, {address}"))
    assert login(limited, new_name(), "some password", next(ADDRESSES)).status_code == 401


def test_registrations_from_one_address_are_limited_and_the_refused_one_writes_nothing(limited, db_cursor):
    address = next(ADDRESSES)
    for _ in range(3):
        assert register(limited, new_name(), address).status_code == 201
    refused_name = new_name()
    assert_rate_limited(register(limited, refused_name, address))
    db_cursor.execute("SELECT count(*) AS n FROM users WHERE username = %s", (refused_name,))
    assert db_cursor.fetchone()[0] == 0
    assert register(limited, refused_name, next(ADDRESSES)).status_code == 201


def test_attempts_add_up_in_a_window_and_are_forgotten_after_it(database_url):
    counted, forgiven = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"
    conn = psycopg2.connect(database_url, cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True  # now() is each statement's own time, as in db.autocommit()
    with contextlib.closing(conn), conn.cursor() as cursor:  # `with conn` would open a transaction
        assert [storage.count_attempt(cursor, counted, 3600)["attempts"] for _ in range(3)] == [1, 2, 3]
        assert storage.attempts_so_far(cursor, counted)["attempts"] == 3
        assert 0 < storage.count_attempt(cursor, forgiven, 1)["seconds_left"] <= 1
        time.sleep(1.05)
        assert storage.attempts_so_far(cursor, forgiven) is None
        storage.prune_past_attempt_windows(cursor)
        cursor.execute("SELECT key FROM attempt_counters WHERE key IN (%s, %s)", (counted, forgiven))
        assert [row["key"] for row in cursor.fetchall()] == [counted]
