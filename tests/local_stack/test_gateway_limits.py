"""The gateway holds the line in the stack as make run's server does on its own (issue 15): nginx's
limit_conn caps one address's requests in progress, WebSockets among them, and its timeouts close
connections that are silent, slow or idle. Checked against the shipped config, at its real figures."""

import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from urllib.parse import urlsplit

import pytest

from tests.conftest import Person, descriptor_limit_at_least, eventually

pytestmark = pytest.mark.stack

PER_ADDRESS = 1000  # limit_conn in nginx/parley.conf.template
CLIENT_TIMEOUT_SECONDS = 10  # client_header_timeout, client_body_timeout, keepalive_timeout there
PEOPLE = 100  # each holds PER_ADDRESS / PEOPLE sockets, within the per-user socket limit


def get_from(url, path, source):
    """GET `path` from a client at the address `source` (anything in 127.0.0.0/8 reaches nginx)."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10, source_address=(source, 0))
    with closing(connection):
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()


def test_one_address_holds_1000_sockets_through_nginx_then_gets_429_while_others_are_served(stack):
    url = stack["url"]
    people = [Person(url).register().login() for _ in range(PEOPLE)]
    rooms = [person.create_room() for person in people]
    with descriptor_limit_at_least(2 * PER_ADDRESS + 500), ThreadPoolExecutor(16) as pool:
        sockets = list(pool.map(lambda i: people[i % PEOPLE].connect(rooms[i % PEOPLE]), range(PER_ADDRESS)))
        try:
            status, headers, body = get_from(url, "/auth/healthz", "127.0.0.1")
            assert status == 429
            assert json.loads(body)["error"]["code"] == "too_many_connections"
            assert headers["Retry-After"] == "5"
            # Another address is served, and what it sends reaches the sockets held from the first.
            assert get_from(url, "/auth/healthz", "127.0.0.2")[0] == 200
            sender = people[0]
            address = urlsplit(url)
            connection = http.client.HTTPConnection(address.hostname, address.port, source_address=("127.0.0.2", 0))
            with closing(connection):
                connection.request(
                    "POST",
                    f"/ws/rooms/{rooms[0]}/messages",
                    body=json.dumps({"content": "past the cap"}),
                    headers={"Authorization": f"Bearer {sender.token}", "Content-Type": "application/json"},
                )
                assert connection.getresponse().status == 201
            assert sockets[0].stored_events(1)[0]["content"] == "past the cap"
        finally:
            for held in sockets:
                held.close()
    # Once they go, the first address is served again.
    eventually(lambda: get_from(url, "/auth/healthz", "127.0.0.1")[0] == 200, what="the address served again")


def test_nginx_closes_silent_slow_and_idle_connections_after_its_client_timeout(stack):
    person = Person(stack["url"]).register().login()
    room = person.create_room()
    unfinished_body = (
        f"POST /ws/rooms/{room}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {person.token}\r\n"
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"content": '
    ).encode()
    sent = {
        "silent": b"",
        "headers-unfinished": b"GET /auth/healthz HTTP/1.1\r\nHost: x\r\n",
        "idle-after-a-response": b"GET /auth/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "body-unfinished": unfinished_body,
    }
    address = urlsplit(stack["url"])
    outcome = {}

    def until_closed(case):
        with closing(socket.create_connection((address.hostname, address.port), timeout=30)) as connection:
            connection.sendall(sent[case])
            started, answer = time.monotonic(), b""
            while chunk := connection.recv(65536):
                answer += chunk
            outcome[case] = (time.monotonic() - started, answer)

    threads = [threading.Thread(target=until_closed, args=(case,)) for case in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    for case, (waited, answer) in outcome.items():
        assert CLIENT_TIMEOUT_SECONDS - 1 < waited < CLIENT_TIMEOUT_SECONDS + 5, case
        # Only the whole request was served; the others got no answer, or a refusal.
        served = answer.count(b"HTTP/1.1 200")
        assert served == (1 if case == "idle-after-a-response" else 0), (case, answer[:200])
        assert b"HTTP/1.1 201" not in answer
    assert sorted(outcome) == sorted(sent)
    assert person.get(f"/ws/rooms/{room}/messages").json()["events"] == []
