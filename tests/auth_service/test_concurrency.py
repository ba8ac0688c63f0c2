"""Several requests at once on the one gevent worker of the all-in-one process."""

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import METRICS_HEADERS, Person, eventually


def test_two_concurrent_registrations_of_one_name_give_one_201_and_one_409(base_url, db_cursor):
    name = f"twin_{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(2)

    def register(letter_case):
        start.wait()
        return requests.post(
            f"{base_url}/auth/register", json={"username": letter_case(name), "password": "same-time-pass"}
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(register, [str.lower, str.upper]))
    assert statuses == [201, 409]
    db_cursor.execute("SELECT count(*) FROM users WHERE lower(username) = %s", (name,))
    assert db_cursor.fetchone()[0] == 1


def password_hashes_in_flight(url):
    metrics = requests.get(f"{url}/auth/metrics", headers=METRICS_HEADERS).text
    return float(re.search(r"^parley_password_hashes_in_flight (\S+)$", metrics, re.M).group(1))


@pytest.mark.slow
def test_a_login_storm_does_not_stall_me_on_the_same_worker(production_cost_server):
    """While bcrypt checks (at the production cost) queue up, a request that needs no hashing is
    answered at once. Were the hashing done on the event loop, /me would wait behind every login that
    reached the worker first."""
    person = Person(production_cost_server.url).register().login()
    victim = Person(production_cost_server.url).register()
    storm_size = 24
    finished = []
    lock = threading.Lock()

    def login():
        response = requests.post(
            f"{victim.base_url}/auth/login", json={"username": victim.username, "password": victim.password}
        )
        with lock:
            finished.append(response.status_code)

    threads = [threading.Thread(target=login) for _ in range(storm_size)]
    for thread in threads:
        thread.start()
    # The storm reaches the worker first: every login of it is hashing or queued for the hashing threads.
    eventually(lambda: password_hashes_in_flight(production_cost_server.url) == storm_size, what="the storm")
    me = person.get("/auth/me")
    with lock:
        logins_done_before_me = len(finished)
    for thread in threads:
        thread.join()
    assert me.status_code == 200
    assert finished == [200] * storm_size
    assert logins_done_before_me <= storm_size // 2
