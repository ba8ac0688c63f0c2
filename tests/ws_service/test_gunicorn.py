"""ws_service under its own gunicorn command line: sockets broadcast, and SIGTERM says 1001."""
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO, Person, free_port


@pytest.fixture
def gunicorn_ws(database_url, base_url, tmp_path):
    port = free_port()
    log = open(tmp_path / "ws.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "60", "ws_service.wsgi:app"],
        cwd=REPO, env={**os.environ, "DATABASE_URL": database_url}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.1)
    yield url, process
    if process.poll() is None:
        process.kill()
    process.wait()
    log.close()


def test_sigterm_closes_every_socket_with_1001_and_the_worker_exits(gunicorn_ws, person):
    url, process = gunicorn_ws
    room = person.create_room()
    # The same person, talking to the gunicorn process directly (its paths are the gateway's /ws/ ones).
    direct = Person(url, person.username, person.password)
    direct.token = person.token
    sockets = [direct.connect(room) for _ in range(3)]
    sockets[0].send(type="send", content="before the end", client_id="t-1")
    for socket in sockets:
        assert socket.stored_events(1)[0]["content"] == "before the end"
    process.send_signal(signal.SIGTERM)
    assert [socket.close_code(timeout=15) for socket in sockets] == [1001, 1001, 1001]
    # Well inside the 60 s graceful timeout: it exits because its sockets are done, not because it gave up.
    assert process.wait(timeout=30) == 0
