"""make run's server holds the line (issue 15, finding 2): idle and slow connections are closed after
the client timeout, a body that stops arriving gets 408, one address holds at most so many
connections, and past the server's ceiling a connection gets a refusal in the envelope, while
everyone else is served and nothing floods the log."""

import json
import socket
import threading
import time
from contextlib import closing

import pytest
import requests

from tests.conftest import Person, as_in_history, server_of_its_own

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def impatient(database_url, tmp_path_factory):
    yield from server_of_its_own(database_url, tmp_path_factory, "impatient", {"HTTP_CLIENT_TIMEOUT_SECONDS": "1"})


@pytest.fixture(scope="module")
def capped(database_url, tmp_path_factory):
    yield from server_of_its_own(
        database_url, tmp_path_factory, "capped", {"MAX_CONNECTIONS_PER_ADDRESS": "5", "MAX_CONNECTIONS": "8"}
    )


def connect(server, source="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", server.port), timeout=10, source_address=(source, 0))


def seconds_until_closed(connection):
    started = time.monotonic()
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return time.monotonic() - started, data


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /auth/healthz HTTP/1.1\r\nHost: x\r\n", b"GET /auth/healthz HTTP/1.1\r\nHost: x\r\n\r\n"],
    ids=["silent", "headers-unfinished", "idle-after-a-response"],
)
def test_idle_and_slow_connections_are_closed_after_the_client_timeout(impatient, sent):
    with closing(connect(impatient)) as connection:
        connection.sendall(sent)
        waited, data = seconds_until_closed(connection)
    assert waited < 5
    assert data.count(b"HTTP/1.1 200") == (1 if sent.endswith(b"\r\n\r\n") else 0)  # nothing unfinished served
    assert "Traceback" not in impatient.output_path.read_text()  # a slowloris is no log storm either


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_that_stops_arriving_gets_408_and_stores_nothing(impatient, framing):
    person = Person(impatient.url).register().login()
    room = person.create_room()
    body = json.dumps({"content": "never finished"}).encode()
    if framing == "chunked":
        length, sent_part = "Transfer-Encoding: chunked", b"%x\r\n%s" % (len(body), body[:10])
    else:
        length, sent_part = f"Content-Length: {len(body)}", body[:10]
    request = (
        f"POST /ws/rooms/{room}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {person.token}\r\n"
        f"Content-Type: application/json\r\n{length}\r\n\r\n"
    ).encode()
    with closing(connect(impatient)) as connection:
        connection.sendall(request + sent_part)
        waited, answer = seconds_until_closed(connection)
    assert waited < 5
    assert answer.startswith(b"HTTP/1.1 408")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
    assert person.get(f"/ws/rooms/{room}/messages").json()["events"] == []
    assert "Traceback" not in impatient.output_path.read_text()


def test_a_websocket_and_a_long_poll_outlive_the_client_timeout(impatient):
    person = Person(impatient.url).register().login()
    room = person.create_room()
    listening = person.connect(room)
    polled = {}
    poll = threading.Thread(
        target=lambda: polled.update(answer=person.get(f"/ws/rooms/{room}/messages?after=0&wait=10"))
    )
    poll.start()
    time.sleep(2.5)  # the point: more than the 1 s client timeout passes with both silent
    sent = person.post(f"/ws/rooms/{room}/messages", json={"content": "still open"})
    assert listening.stored_events(1)[0] == sent.json()
    poll.join(timeout=10)
    assert polled["answer"].status_code == 200
    assert polled["answer"].json()["events"] == [as_in_history(sent.json())]


def test_one_address_holds_at_most_its_share_and_the_server_its_ceiling(capped):
    held = [connect(capped) for _ in range(5)]
    try:
        with closing(connect(capped)) as sixth:  # a sixth from the same address
            _, refused = seconds_until_closed(sixth)
        assert refused.startswith(b"HTTP/1.1 429") and b'"too_many_connections"' in refused
        # Another address is served, and may fill the server up to its ceiling of 8 ...
        held += [connect(capped, "127.0.0.2") for _ in range(3)]
        with closing(connect(capped, "127.0.0.3")) as ninth:
            _, refused = seconds_until_closed(ninth)
        assert refused.startswith(b"HTTP/1.1 503") and b'"server_full"' in refused
    finally:
        for connection in held:
            connection.close()
    # ... and once they go, the server serves again.
    deadline = time.monotonic() + 10
    while requests.get(f"{capped.url}/auth/healthz").status_code != 200:
        assert time.monotonic() < deadline
    assert "Traceback" not in capped.output_path.read_text()
