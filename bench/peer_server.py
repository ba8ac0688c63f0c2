"""The peer baseline: a minimal room broadcast server on the `websockets` asyncio library, doing
Parley's live job (a frame in, a frame to everyone in the room) without auth or persistence.

`python -m bench.peer_server PORT`; clients connect to /rooms/{id}.
"""

import asyncio
import contextlib
import json
import sys

from websockets.asyncio.server import broadcast, serve

ROOMS = {}
SEQS = {}


@contextlib.asynccontextmanager
async def joined(websocket):
    """The socket in its room (by its path) for as long as the block runs, hello sent: (room id, members)."""
    room_id = websocket.request.path.rsplit("/", 1)[-1]
    members = ROOMS.setdefault(room_id, set())
    members.add(websocket)
    try:
        await websocket.send(json.dumps({"type": "hello", "room_id": room_id}, separators=(",", ":")))
        yield room_id, members
    finally:
        members.discard(websocket)


def message(room_id, seq, sent):
    """The frame everyone in the room gets for a frame `sent` (parsed) with this seq."""
    event = {"type": "message", "room_id": room_id, "seq": seq, "content": sent.get("content")}
    return json.dumps({**event, "client_id": sent.get("client_id")}, separators=(",", ":"))


async def room(websocket):
    async with joined(websocket) as (room_id, members):
        async for frame in websocket:
            SEQS[room_id] = seq = SEQS.get(room_id, 0) + 1
            broadcast(members, message(room_id, seq, json.loads(frame)))


async def main(port):
    async with serve(room, "127.0.0.1", port, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
