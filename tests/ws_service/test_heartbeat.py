"""Heartbeats find dead peers; a configurable silence closes a socket."""

import time

import pytest

from tests.conftest import Person, server_of_its_own

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def impatient_server(database_url, tmp_path_factory):
    yield from server_of_its_own(
        database_url, tmp_path_factory, "impatient", {"WS_PING_INTERVAL_SECONDS": "1", "WS_IDLE_TIMEOUT_SECONDS": "4"}
    )


def test_a_peer_that_answers_no_ping_is_closed(impatient_server):
    person = Person(impatient_server.url).register().login()
    room = person.create_room()
    socket = person.connect(room)
    time.sleep(3)  # reading nothing, websocket-client answers no ping
    assert socket.close_code(timeout=10) == 1008
    assert person.get(f"/ws/getClients/{room}").json()["clients"] == []


def test_a_socket_silent_past_the_idle_timeout_is_closed_normally(impatient_server):
    person = Person(impatient_server.url).register().login()
    room = person.create_room()
    socket = person.connect(room)
    started = time.monotonic()
    assert socket.close_code(timeout=15) == 1000  # reading, so pings are answered, but sending nothing
    assert time.monotonic() - started >= 3


def test_a_client_that_keeps_talking_stays(impatient_server):
    person = Person(impatient_server.url).register().login()
    room = person.create_room()
    socket = person.connect(room)
    for i in range(6):
        socket.send(type="send", content=f"still here {i}", client_id=f"k-{i}")
        assert socket.stored_events(1)[0]["seq"] == i + 1
        time.sleep(1)
    assert [c["id"] for c in person.get(f"/ws/getClients/{room}").json()["clients"]] == [person.id]
