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
from tests.conftest import server_of_its_own

WINDOW_SECONDS = 900
ADDRESSES = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def limited(database_url, tmp_path_factory):
    yield from server_of_its_own(
        database_url,
        tmp_path_factory,
        "limits",
        {
            "TRUSTED_PROXY_HOPS": "1",
            "AUTH_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS),
            "LOGIN_ATTEMPTS_PER_ADDRESS": "6",
            "LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS": "3",
            "LOGIN_FAILURES_PER_USERNAME": "5",
            "REGISTRATIONS_PER_ADDRESS": "3",
        },
    )


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


def test_failed_logins_for_a_username_from_one_address_are_limited_there_and_lock_no_one_out(limited):
    name, guesser, owner = new_name(), next(ADDRESSES), next(ADDRESSES)
    assert register(limited, name, owner).status_code == 201
    for _ in range(3):
        assert login(limited, name, "wrong password", guesser).status_code == 401
    refused = login(limited, name, "long enough pw", guesser)  # even the right password, from there
    assert_rate_limited(refused)
    assert "access_token" not in refused.json() and "Set-Cookie" not in refused.headers
    assert_rate_limited(login(limited, name.upper(), "long enough pw", guesser))
    # Issue 15: ten failures from anywhere locked the owner out for 15 minutes. Not any more.
    assert login(limited, name, "long enough pw", owner).status_code == 200
    assert login(limited, name, "long enough pw", next(ADDRESSES)).status_code == 200


def test_a_guess_spread_over_many_addresses_stops_strangers_but_not_the_owner_where_they_log_in(limited):
    name, home = new_name(), next(ADDRESSES)
    assert register(limited, name, home).status_code == 201
    assert login(limited, name, "long enough pw", home).status_code == 200  # home is now known
    for _ in range(5):  # one failure from each of five addresses: under the per-address limit
        assert login(limited, name, "wrong password", next(ADDRESSES)).status_code == 401
    assert_rate_limited(login(limited, name, "long enough pw", next(ADDRESSES)))  # a stranger, right password
    assert_rate_limited(login(limited, name, "wrong password", next(ADDRESSES)))  # nor can anyone guess on
    assert login(limited, name, "long enough pw", home).status_code == 200
    assert login(limited, name, "wrong password", home).status_code == 401  # still checked from home
    # An unknown name being guessed at is refused the same way: nothing tells it apart.
    ghost = new_name()
    for _ in range(5):
        assert login(limited, ghost, "wrong password", next(ADDRESSES)).status_code == 401
    assert_rate_limited(login(limited, ghost, "wrong password", next(ADDRESSES)))


def test_known_addresses_are_kept_as_keyed_digests_not_addresses(limited, db_cursor):
    name, home = new_name(), "10.9.8.7"
    assert register(limited, name, home).status_code == 201
    assert login(limited, name, "long enough pw", home).status_code == 200
    db_cursor.execute(
        "SELECT k.address_digest FROM known_login_addresses k JOIN users u ON u.id = k.user_id WHERE u.username = %s",
        (name,),
    )
    [(digest,)] = db_cursor.fetchall()
    assert home not in digest and len(digest) == 64


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
