"""ws_service under its own gunicorn command line: sockets broadcast, and SIGTERM says 1001."""

import signal

import pytest

from tests.conftest import GunicornService, Person


@pytest.fixture
def gunicorn_ws(database_url, tmp_path):
    # Its own process, not the session's: this test ends it.
    service = GunicornService(
        "ws_service", {"DATABASE_URL": database_url}, tmp_path / "ws.log", ["--graceful-timeout", "60"]
    )
    yield service.url, service.process
    if service.process.poll() is None:
        service.process.kill()
    service.stop()


def test_sigterm_closes_every_socket_with_1001_and_the_worker_exits(gunicorn_ws, person):
    url, process = gunicorn_ws
    room = person.create_room()
    # The same person, talking to the gunicorn process directly (its paths are the gateway's /ws/ ones).
    direct = Person(person.base_url, person.username, person.password, ws_base_url=url)
    direct.token = person.token
    sockets = [direct.connect(room) for _ in range(3)]
    sockets[0].send(type="send", content="before the end", client_id="t-1")
    for socket in sockets:
        assert socket.stored_events(1)[0]["content"] == "before the end"
    process.send_signal(signal.SIGTERM)
    assert [socket.close_code(timeout=15) for socket in sockets] == [1001, 1001, 1001]
    # Well inside the 60 s graceful timeout: it exits because its sockets are done, not because it gave up.
    assert process.wait(timeout=30) == 0
