"""The pool in a process that holds thousands of sockets: the connections it opens then get
descriptors past 1,024, which select() refuses (issue 15: 500s from about 1,000 WebSockets on)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import GENEROUS_LIMITS, Person, RunningServer, descriptor_limit_at_least

pytestmark = pytest.mark.slow

SOCKETS = 2_100
HANDSHAKES_AT_ONCE = 16
REQUESTS_AT_ONCE = 40
DESCRIPTORS_NEEDED = 2 * SOCKETS + 500  # both ends live on this machine, and the server's own


@pytest.fixture(scope="module")
def descriptor_limit():
    with descriptor_limit_at_least(DESCRIPTORS_NEEDED):
        yield


@pytest.fixture(scope="module")
def crowded_server(descriptor_limit, database_url, tmp_path_factory):
    server = RunningServer(
        # A pool larger than the handshakes in flight at once: it opens its last connections only
        # once the sockets are open, past descriptor 1,024.
        {
            "DATABASE_URL": database_url,
            "WS_CONNECTIONS_PER_USER": str(SOCKETS + 1),
            "MAX_CONNECTIONS_PER_ADDRESS": "0",  # every socket here comes from 127.0.0.1
            "DB_POOL_SIZE": str(HANDSHAKES_AT_ONCE + REQUESTS_AT_ONCE),
            **GENEROUS_LIMITS,
        },
        tmp_path_factory.mktemp("crowded") / "server.log",
    )
    yield server
    server.stop()


def open_descriptors(pid):
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def test_thousands_of_open_sockets_and_new_pool_connections_give_no_error(crowded_server):
    person = Person(crowded_server.url).register().login()
    room = person.create_room()
    with ThreadPoolExecutor(HANDSHAKES_AT_ONCE) as pool:  # held open until the test ends
        sockets = list(pool.map(lambda _: person.connect(room), range(SOCKETS)))
    # The pool's next connections get descriptors past 1,024.
    assert open_descriptors(crowded_server.process.pid) > SOCKETS
    for _ in range(3):  # the pool grows to its size, its connections idle, then are taken again
        with ThreadPoolExecutor(REQUESTS_AT_ONCE) as pool:
            statuses = list(pool.map(lambda _: person.get("/ws/getRooms").status_code, range(REQUESTS_AT_ONCE)))
        assert statuses == [200] * REQUESTS_AT_ONCE
    assert person.post(f"/ws/rooms/{room}/messages", json={"content": "still here"}).status_code == 201
    assert sockets[-1].stored_events(1)[0]["content"] == "still here"
    assert person.connect(room).hello["type"] == "hello"  # a handshake, with its token check, still works
