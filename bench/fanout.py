"""Fan-out: sockets in one room, one sender as fast as the server takes it; deliveries per second.

The load generator is asyncio with the `websockets` client, in a process of its own (pinned to its
own core where the machine has two), apart from the server under test.
"""
import asyncio
import json
import time

from websockets.asyncio.client import connect


async def measure(url, sockets, messages, headers=None):
    """Open `sockets` to `url`, send `messages` from one more, and time until every socket has
    received every message. Returns deliveries per second."""
    receivers = [await connect(url, additional_headers=headers, max_size=None, open_timeout=60) for _ in range(sockets)]
    for ws in receivers:
        await ws.recv()  # hello
    sender = await connect(url, additional_headers=headers, max_size=None, open_timeout=60)
    await sender.recv()
    done = asyncio.Event()
    remaining = [sockets]

    async def drain(ws):
        count = 0
        while count < messages:
            if json.loads(await ws.recv()).get("type") == "message":
                count += 1
        remaining[0] -= 1
        if remaining[0] == 0:
            done.set()

    readers = [asyncio.create_task(drain(ws)) for ws in receivers]
    sender_drain = asyncio.create_task(_discard(sender))
    started = time.perf_counter()
    for i in range(messages):
        await sender.send(json.dumps({"type": "send", "content": f"fan-out {i}", "client_id": f"f{i}"}))
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - started
    sender_drain.cancel()
    for task in readers:
        task.cancel()
    for ws in receivers + [sender]:
        await ws.close()
    return sockets * messages / elapsed


async def _discard(ws):
    async for _ in ws:
        pass
