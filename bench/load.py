"""The load generator: asyncio with the `websockets` client and a bare HTTP/1.1 keep-alive client,
in the benchmark's own process (pinned to a core of its own where the machine has two), apart from
the servers under test. Each function takes URLs and returns figures; it knows nothing of which
server answers, so Parley and the peer get the very same load.
"""

import asyncio
import json
import time
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

CONNECTS_AT_ONCE = 200  # handshakes in flight: a connect storm is not what these scenarios measure
MESSAGE_MARK = b'"type":"message"'


async def open_sockets(urls, headers=None):
    """One socket per URL (a URL appears once per socket wanted), each past its first frame."""
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def one(url):
        async with gate:
            ws = await connect(
                url, additional_headers=headers, max_size=None, open_timeout=120, ping_interval=None, compression=None
            )
            await ws.recv()  # hello
            return ws

    return await asyncio.gather(*(one(url) for url in urls))


async def close_all(sockets):
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def hold_idle(urls, headers, settle_seconds, measure):
    """Open a socket per URL, wait for the server to settle, and return `measure()` taken while
    they are all open (the server's memory)."""
    sockets = await open_sockets(urls, headers)
    await asyncio.sleep(settle_seconds)
    try:
        return measure()
    finally:
        await close_all(sockets)


async def fan_out(room_urls, receivers_per_room, messages, headers=None):
    """In each room, `receivers_per_room` sockets and one sender sending `messages` as fast as the
    server takes them, all rooms at once. Returns deliveries per second, counted at the receivers
    until every one has every message."""
    receivers = await open_sockets([url for url in room_urls for _ in range(receivers_per_room)], headers)
    senders = await open_sockets(room_urls, headers)
    remaining = [len(receivers)]
    done = asyncio.Event()

    async def drain(ws):
        count = 0
        while count < messages:
            if MESSAGE_MARK in await ws.recv(decode=False):
                count += 1
        remaining[0] -= 1
        if remaining[0] == 0:
            done.set()

    async def send_all(ws):
        for i in range(messages):
            await ws.send(json.dumps({"type": "send", "content": f"fan-out {i}", "client_id": f"f{i}"}))

    readers = [asyncio.create_task(drain(ws)) for ws in receivers]
    refusals = [asyncio.create_task(_first_error(ws)) for ws in senders]
    started = time.perf_counter()
    await asyncio.gather(*(send_all(ws) for ws in senders))
    finished, _ = await asyncio.wait(
        [asyncio.create_task(done.wait()), *refusals], timeout=600, return_when=asyncio.FIRST_COMPLETED
    )
    elapsed = time.perf_counter() - started
    for task in readers + refusals:
        task.cancel()
    if not done.is_set():
        raise RuntimeError(f"not every message arrived: {[task.result() for task in finished]}")
    await close_all(receivers + senders)
    return len(receivers) * messages / elapsed


async def paced_latency(room_urls, sockets_per_room, rate, seconds, headers=None):
    """Every socket sends `rate` messages a second on a fixed schedule (open loop: a late server
    does not delay the next send) carrying the time it was due; every socket in the room receives
    every message. Returns end-to-end latencies in seconds, measured from the due time (so a
    stall counts in full), how many deliveries were expected, and the sending window (start, end)."""
    return await paced_spread_latency([[url] * sockets_per_room for url in room_urls], rate, seconds, headers)


async def paced_spread_latency(rooms, rate, seconds, headers=None):
    """paced_latency() where each room is the list of its sockets' URLs: the room's address on
    several processes, say, so that its sockets are spread over them."""
    sockets = await open_sockets([url for room in rooms for url in room], headers)
    room_sizes = [len(room) for room in rooms for _ in room]  # each socket's room's size
    latencies = []
    interval = 1 / rate
    start = time.time() + 1.0
    end = start + seconds
    expected = [0]

    async def send_paced(index, ws):
        due = start + interval * index / len(sockets)  # spread the sockets over the interval
        number = 0
        while due < end:
            await asyncio.sleep(max(0.0, due - time.time()))
            await ws.send(json.dumps({"type": "send", "content": repr(due), "client_id": f"p{index}-{number}"}))
            expected[0] += room_sizes[index]
            number += 1
            due += interval

    async def receive(ws):
        async for frame in ws:
            arrived = time.time()
            event = json.loads(frame)
            if event.get("type") == "message":
                latencies.append(arrived - float(event["content"]))

    readers = [asyncio.create_task(receive(ws)) for ws in sockets]
    await asyncio.gather(*(send_paced(i, ws) for i, ws in enumerate(sockets)))
    deadline = time.time() + 30  # for the stragglers, then they count as not delivered
    while len(latencies) < expected[0] and time.time() < deadline:
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    await close_all(sockets)
    return latencies, expected[0], (start, end)


async def http_throughput(url, headers, concurrency, seconds, body=None):
    """`concurrency` keep-alive connections each sending GET `url` (POST `body` as JSON, if given)
    back to back. Returns requests per second answered 200."""
    answered = [0]
    end = time.perf_counter() + seconds
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
        body = json.dumps(body).encode()

    async def client():
        connection = await _HttpConnection.open(url, headers)
        try:
            while time.perf_counter() < end:
                status = await (connection.get() if body is None else connection.post(body))
                if status == 200:
                    answered[0] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return answered[0] / (time.perf_counter() - started)


async def http_paced_latencies(url, headers, rate, seconds):
    """GET `url` `rate` times a second on a fixed schedule, each on a free keep-alive connection
    (a new one when all are busy); latencies from the due time, in seconds."""
    idle = []
    latencies = []
    start = time.time() + 0.2
    count = int(rate * seconds)

    async def one(due):
        await asyncio.sleep(max(0.0, due - time.time()))
        connection = idle.pop() if idle else await _HttpConnection.open(url, headers)
        status = await connection.get()
        latencies.append(time.time() - due)
        assert status == 200, status
        idle.append(connection)

    await asyncio.gather(*(one(start + i / rate) for i in range(count)))
    for connection in idle:
        connection.close()
    return latencies


class _HttpConnection:
    """HTTP/1.1 with keep-alive, just enough for one GET or POST at a time with a Content-Length answer."""

    def __init__(self, reader, writer, request_head):
        self.reader, self.writer, self.request_head = reader, writer, request_head

    @classmethod
    async def open(cls, url, headers):
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"{{method}} {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        return cls(reader, writer, "\r\n".join(lines))

    async def get(self):
        self.writer.write((self.request_head.format(method="GET") + "\r\n\r\n").encode())
        return await self._response()

    async def post(self, body):
        head = self.request_head.format(method="POST") + f"\r\nContent-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        return await self._response()

    async def _response(self):
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self):
        self.writer.close()


async def _first_error(ws):
    """The first error frame a sender gets (the server refused a send)."""
    async for frame in ws:
        if '"type":"error"' in frame:
            return frame
