"""The all-in-one process on SIGTERM: sockets get 1001, then it exits cleanly."""

from tests.conftest import Person, RunningServer


def test_sigterm_closes_sockets_with_1001_and_exits_0(database_url, tmp_path):
    server = RunningServer({"DATABASE_URL": database_url}, tmp_path / "server.log")
    person = Person(server.url).register().login()
    room = person.create_room()
    socket = person.connect(room)
    server.process.terminate()
    assert socket.close_code(timeout=15) == 1001
    assert server.stop() == 0
