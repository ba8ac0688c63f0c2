"""The gateway's own capacity: 10,000 WebSockets held at once through real nginx running the shipped
main configuration (nginx/nginx.conf), two ws_service replicas behind it, and a message sent to
each room still reaching every socket in it. With the nginx image's default configuration (1,024
connections a worker, two for each proxied WebSocket) this stops near 500 sockets a worker."""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import connect

from tests.conftest import Person, descriptor_limit_at_least

pytestmark = [pytest.mark.stack, pytest.mark.slow]

SOCKETS = 10_000
ROOMS = 100
# Socket i is person i % PEOPLE's, in room i % ROOMS: each person holds 17 sockets at most, within
# the 20 a person may hold on one process.
PEOPLE = 600
# nginx lets one client address hold 1,000 connections (limit_conn): the sockets come from 12
# addresses of the loopback network, 834 each.
SOURCES = [f"127.0.0.{n}" for n in range(2, 14)]
HANDSHAKES_AT_ONCE = 200


async def open_socket(url, person, room_id, source, handshakes):
    async with handshakes:
        socket = await connect(
            f"ws://{url.hostname}:{url.port}/ws/joinRoom/{room_id}",
            additional_headers={"Authorization": f"Bearer {person.token}"},
            local_addr=(source, 0),
            open_timeout=60,
            ping_interval=None,  # the server's heartbeat keeps it alive; the client answers its pings
            max_queue=None,
        )
        hello = json.loads(await socket.recv())
        assert hello["type"] == "hello", hello
        return socket


async def first_message(socket, timeout):
    """The content of the first stored message the socket receives (presence frames are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == "message":
                return frame["content"]


async def hold_and_talk(url, people, rooms):
    handshakes = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    started = time.monotonic()
    sockets = await asyncio.gather(
        *(
            open_socket(url, people[i % PEOPLE], rooms[i % ROOMS], SOURCES[i % len(SOURCES)], handshakes)
            for i in range(SOCKETS)
        )
    )
    opened_in = time.monotonic() - started
    try:
        # Every socket is open at once; now a message in each room, sent through the gateway.
        waiting = [asyncio.create_task(first_message(socket, timeout=120)) for socket in sockets]
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(8) as pool:
            answers = await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool,
                        lambda r=r: people[r].post(f"/ws/rooms/{rooms[r]}/messages", json={"content": f"to room {r}"}),
                    )
                    for r in range(ROOMS)
                )
            )
        assert {answer.status_code for answer in answers} == {201}
        received = await asyncio.gather(*waiting)
        assert received == [f"to room {i % ROOMS}" for i in range(SOCKETS)]
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return opened_in


def test_10000_websockets_through_nginx_and_two_replicas_with_messages_still_crossing(stack):
    url = urlsplit(stack["url"])
    with ThreadPoolExecutor(16) as pool:
        people = list(pool.map(lambda _: Person(stack["url"]).register().login(), range(PEOPLE)))
    rooms = [people[r].create_room() for r in range(ROOMS)]
    with descriptor_limit_at_least(SOCKETS + 2000):
        opened_in = asyncio.run(hold_and_talk(url, people, rooms))
    print(f"{SOCKETS} sockets opened through nginx in {opened_in:.1f} s")
